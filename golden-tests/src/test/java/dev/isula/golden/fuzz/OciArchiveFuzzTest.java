package dev.isula.golden.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageFormat;
import java.nio.file.Path;

/**
 * The OCI layout reader, by way of oci-archive (a tar of a layout): index.json, nested indexes,
 * manifests, configs and blobs from arbitrary bytes, then the layers flattened to nowhere.
 */
class OciArchiveFuzzTest {
  private static final ImageFormat FORMAT = FormatRegistry.load().find("oci-archive").orElseThrow();

  @FuzzTest(maxDuration = "2m")
  void openOciArchive(byte[] data) {
    Path file = FuzzSupport.file("oci.tar", data);
    FuzzSupport.declared(() -> DockerArchiveFuzzTest.readAndExport(FORMAT, file.toString()));
  }
}
