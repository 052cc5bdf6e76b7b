package dev.isula.format.dockerarchive;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.spi.LoaderRules;
import java.util.EnumSet;

/**
 * {@code podman load}'s rules for a docker-archive (containers/image's {@code
 * docker/internal/tarfile} reader): tagged RepoTags, as many DiffIDs as layers, each layer in any
 * encoding containers/image decompresses (plain, gzip, bzip2, xz, zstd) and matching its DiffID.
 */
@AutoService(LoaderRules.class)
public final class PodmanLoadRules extends ArchiveRules {
  private static final Profile PROFILE =
      new Profile(
          "podman",
          "podman load (podman 4.3, containers/image docker/internal/tarfile)",
          true,
          0,
          false,
          false,
          false,
          false,
          EnumSet.allOf(Compression.class));

  @Override
  Profile profile() {
    return PROFILE;
  }
}
