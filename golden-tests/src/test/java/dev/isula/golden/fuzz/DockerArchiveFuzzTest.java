package dev.isula.golden.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageFormat;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * The docker-archive reader on arbitrary archives: list the images (what load does), open one,
 * resolve it, and flatten its layers to nowhere (what export does).
 */
class DockerArchiveFuzzTest {
  private static final ImageFormat FORMAT =
      FormatRegistry.load().find("docker-archive").orElseThrow();

  @FuzzTest(maxDuration = "2m")
  void openDockerArchive(byte[] data) {
    Path file = FuzzSupport.file("docker.tar", data);
    FuzzSupport.declared(() -> readAndExport(FORMAT, file.toString()));
  }

  static void readAndExport(ImageFormat format, String reference)
      throws java.io.IOException, dev.isula.toolkit.api.IsulaException {
    for (String one : format.list(reference)) {
      try (ImageSource s = format.open(one, ReadOptions.defaults())) {
        RootfsExporter.create(Compression.NONE, 1, null)
            .exportTo(s.image(), OutputStream.nullOutputStream());
      }
    }
  }
}
