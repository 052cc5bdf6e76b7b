package dev.isula.format.dockerarchive;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.spi.LoaderRules;
import java.util.EnumSet;

/**
 * {@code isula load}'s rules, read from iSulad's {@code oci_load.c} ({@code oci_do_load} and what
 * it calls) and {@code utils_images.c} ({@code oci_valid_time}, {@code oci_calc_diffid}); see
 * docs/formats.md for each rule's source.
 */
@AutoService(LoaderRules.class)
public final class IsuladLoadRules extends ArchiveRules {
  private static final Profile PROFILE =
      new Profile(
          "isulad",
          "isula load (iSulad's oci_load.c)",
          false,
          ISULAD_MAX_JSON,
          true,
          false,
          true,
          true,
          EnumSet.of(Compression.NONE, Compression.GZIP));

  @Override
  Profile profile() {
    return PROFILE;
  }
}
