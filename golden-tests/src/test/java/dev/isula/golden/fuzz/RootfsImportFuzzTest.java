package dev.isula.golden.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.isula.toolkit.blob.TempBlob;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.rootfs.RootfsLayers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code import} of a rootfs tarball from arbitrary bytes: every entry checked while the bytes go
 * into the layer. An accepted uncompressed tarball becomes a layer whose DiffID is its digest and
 * which import takes back byte for byte: the layer is the tarball itself, or the tarball with the
 * documented clean-ups (global headers dropped, sparse files written out, the end marker added,
 * libarchive's records rewritten), after which there is nothing left to clean.
 */
class RootfsImportFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void importRootfs(byte[] data) {
    Path file = FuzzSupport.file("rootfs.tar", data);
    FuzzSupport.declared(
        () -> {
          try (TempBlob blob = RootfsLayers.build(file.toString(), Compression.NONE, 1, s -> {})) {
            if (Compression.detect(data, data.length) == Compression.NONE) {
              byte[] layer = Files.readAllBytes(blob.file());
              if (!blob.diffId().equals(Digest.sha256(layer))) {
                throw new AssertionError("wrong DiffID");
              }
              if (!Arrays.equals(layer, data)) {
                Path again = FuzzSupport.file("layer.tar", layer);
                try (TempBlob second =
                    RootfsLayers.build(again.toString(), Compression.NONE, 1, s -> {})) {
                  if (!Arrays.equals(Files.readAllBytes(second.file()), layer)) {
                    throw new AssertionError("import of the cleaned layer changed it again");
                  }
                }
              }
            }
          }
        });
  }
}
