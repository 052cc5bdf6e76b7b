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
 * into the layer. An accepted uncompressed tarball must become the layer byte for byte.
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
              if (!Arrays.equals(layer, data)) {
                throw new AssertionError("the layer is not the tarball unchanged");
              }
              if (!blob.diffId().equals(Digest.sha256(data))) {
                throw new AssertionError("wrong DiffID");
              }
            }
          }
        });
  }
}
