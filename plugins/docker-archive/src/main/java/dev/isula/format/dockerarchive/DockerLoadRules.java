package dev.isula.format.dockerarchive;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.spi.LoaderRules;
import java.util.EnumSet;

/**
 * {@code docker load}'s rules in the 20.10 series ({@code image/tarexport/load.go}): tagged
 * RepoTags, a config with {@code rootfs} and a supported os, as many DiffIDs as layers, each layer
 * matching its DiffID once decompressed. Debian's docker.io 20.10.24 reads plain, gzip, bzip2, xz
 * and zstd layers (DockerPeersTest loads each), so no encoding fails here.
 */
@AutoService(LoaderRules.class)
public final class DockerLoadRules extends ArchiveRules {
  private static final Profile PROFILE =
      new Profile(
          "docker",
          "docker load (docker 20.10, image/tarexport/load.go)",
          true,
          0,
          false,
          true,
          false,
          false,
          EnumSet.allOf(Compression.class));

  @Override
  Profile profile() {
    return PROFILE;
  }
}
