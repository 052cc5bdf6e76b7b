package dev.isula.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.isula.golden.SampleImages.InputFormat;
import dev.isula.golden.SampleImages.Sample;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.compress.GzipDecoders;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same export with the ISA-L inflater and with the java.util.zip fallback (what a Java 17
 * machine or one without libisal runs) gives the same bytes, and a corrupt layer fails with both.
 */
class InflaterEquivalenceTest {
  @TempDir Path tmp;

  @AfterEach
  void reset() {
    System.clearProperty(GzipDecoders.PROPERTY);
  }

  private static void assumeNative() {
    assumeTrue(Runtime.version().feature() >= 22, "ISA-L inflate needs Java 22+");
    String d = GzipDecoders.describe();
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(d.startsWith("ISA-L"), "CI runs with libisal2 installed, but: " + d);
    } else {
      assumeTrue(d.startsWith("ISA-L"), d);
    }
  }

  private byte[] export(String inflater, String ref, String name) throws IOException {
    System.setProperty(GzipDecoders.PROPERTY, inflater);
    Path out = tmp.resolve(name + "-" + inflater + ".tar");
    CliRun r = CliRun.isula("export", "-q", ref, out.toString());
    assertEquals(0, r.exitCode(), r.toString());
    return Files.readAllBytes(out);
  }

  @Test
  void everySampleExportsToTheSameBytesWithEitherInflater() throws Exception {
    assumeNative();
    for (Sample s : SampleImages.all()) {
      for (InputFormat f : List.of(InputFormat.OCI_LAYOUT, InputFormat.DOCKER_ARCHIVE)) {
        Path in = Files.createDirectories(tmp.resolve(s.name() + "-" + f));
        String ref = f.write(s, in);
        byte[] isal = export("isal", ref, s.name());
        byte[] java = export("java", ref, s.name());
        assertArrayEquals(java, isal, s.name() + " as " + f);
      }
    }
  }

  /** Several MiB over three gzip layers: many inflate calls, members and buffer refills. */
  @Test
  void aLargerImageExportsToTheSameBytesWithEitherInflater() throws Exception {
    assumeNative();
    TestImage image = TestImage.image();
    Random r = new Random(14);
    for (int layer = 0; layer < 3; layer++) {
      TarBuilder t = TarBuilder.tar().dir("d" + layer);
      for (int i = 0; i < 400; i++) {
        byte[] content = new byte[r.nextInt(40_000)];
        for (int k = 0; k < content.length; k++) {
          content[k] = (byte) (k % 7 == 0 ? r.nextInt() : 'a' + (k / 100) % 26);
        }
        t.file("d" + layer + "/f" + i, content, 0644);
      }
      image.layer(t.build(), Compression.GZIP);
    }
    Path layout = image.writeOciLayout(tmp.resolve("big"), "t");
    String ref = "oci:" + layout + ":t";
    assertArrayEquals(export("java", ref, "big"), export("isal", ref, "big"));
  }

  @Test
  void aCorruptLayerFailsWithEitherInflater() throws Exception {
    assumeNative();
    TestImage image = TestImage.image();
    image.layer(TarBuilder.tar().file("a", "x".repeat(100_000) + "y").build(), Compression.GZIP);
    Path layout = image.writeOciLayout(tmp.resolve("bad"), "t");
    Path blob;
    try (Stream<Path> s = Files.walk(layout.resolve("blobs"))) {
      blob =
          s.filter(Files::isRegularFile)
              .filter(p -> Compression.detect(head(p), 2) == Compression.GZIP)
              .findFirst()
              .orElseThrow();
    }
    byte[] b = Files.readAllBytes(blob);
    b[b.length / 2] ^= 0x10;
    Files.write(blob, b);
    for (String inflater : List.of("isal", "java")) {
      System.setProperty(GzipDecoders.PROPERTY, inflater);
      CliRun run =
          CliRun.isula("export", "-q", "oci:" + layout + ":t", tmp.resolve(inflater).toString());
      assertEquals(1, run.exitCode(), inflater + ": " + run);
      assertEquals(1, run.err().lines().count(), inflater + ": " + run);
      assertTrue(Files.notExists(tmp.resolve(inflater)), inflater + " left an output");
    }
  }

  private static byte[] head(Path p) {
    try (var in = Files.newInputStream(p)) {
      return in.readNBytes(2);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
