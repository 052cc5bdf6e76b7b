package dev.isula.format.dir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin against skopeo, the reference implementation of the dir: transport: skopeo reads what
 * we write and we read what skopeo writes, with the same root filesystem either way.
 */
class DirFormatTest {
  @TempDir Path tmp;

  private static TestImage image() {
    return TestImage.image()
        .layer(
            TarBuilder.tar().dir("etc").file("etc/os-release", "ID=sample\n").build(),
            Compression.GZIP)
        .layer(
            TarBuilder.tar().whiteout("etc/os-release").file("etc/motd", "hi\n").build(),
            Compression.ZSTD);
  }

  private static byte[] export(String ref) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageSource s = FormatRegistry.load().open(ref, ReadOptions.defaults())) {
      RootfsExporter.create(Compression.NONE, 1, null).exportTo(s.image(), out);
    }
    return out.toByteArray();
  }

  private static void skopeo(String... args) throws Exception {
    boolean present = Files.isExecutable(Path.of("/usr/bin/skopeo"));
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("skopeo is required in CI");
    }
    Assumptions.assumeTrue(present, "skopeo not installed");
    List<String> cmd = new ArrayList<>(List.of("skopeo"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "skopeo timed out");
    assertEquals(0, p.exitValue(), "skopeo " + cmd + ": " + out);
  }

  @Test
  void theRegistryFindsThePluginOnTheClassPath() {
    assertTrue(FormatRegistry.load().find("dir").isPresent());
  }

  @Test
  void skopeoReadsWhatWeWrite() throws Exception {
    Path layout = image().writeOciLayout(tmp.resolve("layout"), "v1");
    Path dir = tmp.resolve("ours");
    try (ImageSource s =
            FormatRegistry.load().open("oci:" + layout + ":v1", ReadOptions.defaults());
        ImageSink sink =
            FormatRegistry.load().openSink("dir:" + dir, WriteOptions.builder().build())) {
      sink.write(s.image());
    }
    assertEquals(DirFormat.VERSION, Files.readString(dir.resolve("version")));
    skopeo("copy", "-q", "dir:" + dir, "oci:" + tmp.resolve("back") + ":x");
    assertArrayEquals(export("oci:" + layout + ":v1"), export("oci:" + tmp.resolve("back") + ":x"));
  }

  @Test
  void weReadWhatSkopeoWrites() throws Exception {
    Path layout = image().writeOciLayout(tmp.resolve("layout"), "v1");
    Path dir = tmp.resolve("skopeo");
    skopeo("copy", "-q", "oci:" + layout + ":v1", "dir:" + dir);
    assertArrayEquals(export("oci:" + layout + ":v1"), export("dir:" + dir));
    // and it is detected from a bare path
    assertArrayEquals(export("oci:" + layout + ":v1"), export(dir.toString()));
  }

  @Test
  void refusesToReplaceADirectoryThatIsNotADirImage() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("precious"));
    Files.writeString(dir.resolve("notes.txt"), "keep me");
    Path layout = image().writeOciLayout(tmp.resolve("layout"), "v1");
    try (ImageSource s =
            FormatRegistry.load().open("oci:" + layout + ":v1", ReadOptions.defaults());
        ImageSink sink =
            FormatRegistry.load().openSink("dir:" + dir, WriteOptions.builder().build())) {
      assertThrows(UsageException.class, () -> sink.write(s.image()));
    }
    assertEquals("keep me", Files.readString(dir.resolve("notes.txt")));
  }
}
