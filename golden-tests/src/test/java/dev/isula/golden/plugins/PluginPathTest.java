package dev.isula.golden.plugins;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.cli.IsulaCli;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The third-party dir: plugin (plugins/dir-format, its own jar, which nothing here depends on)
 * works when its jar is given with --plugin-path, and only then.
 */
class PluginPathTest {
  @TempDir Path tmp;

  private final ClassLoader original = Thread.currentThread().getContextClassLoader();

  @AfterEach
  void restoreClassLoader() {
    Thread.currentThread().setContextClassLoader(original);
  }

  private static Path pluginDir() throws Exception {
    Path target =
        Path.of(System.getProperty("user.dir")).getParent().resolve("plugins/dir-format/target");
    try (Stream<Path> s = Files.list(target)) {
      Path jar =
          s.filter(p -> p.getFileName().toString().matches("isula-format-dir-.*\\.jar"))
              .filter(p -> !p.getFileName().toString().contains("test"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("build plugins/dir-format first: " + target));
      return jar.getParent();
    }
  }

  private int run(StringWriter err, String... args) {
    CommandLine cl = IsulaCli.commandLine();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    return cl.execute(args);
  }

  @Test
  void dirTransportWorksOnlyWithThePluginPath() throws Exception {
    assertFalse(FormatRegistry.load().find("dir").isPresent(), "the core does not bring dir:");
    Path layout =
        TestImage.image()
            .layer(TarBuilder.tar().dir("etc").file("etc/a", "plugin\n").build(), Compression.GZIP)
            .writeOciLayout(tmp.resolve("layout"), "v1");

    StringWriter err = new StringWriter();
    // without the plugin, dir: is not a transport: a usage error listing the known ones
    assertEquals(2, run(err, "convert", "-q", "oci:" + layout + ":v1", "dir:" + tmp.resolve("d")));
    assertTrue(err.toString().contains("dir:"), err.toString());

    Path plugins = pluginDir();
    err = new StringWriter();
    assertEquals(
        0,
        run(
            err,
            "convert",
            "-q",
            "--plugin-path",
            plugins.toString(),
            "oci:" + layout + ":v1",
            "dir:" + tmp.resolve("d")),
        err.toString());
    assertTrue(Files.isRegularFile(tmp.resolve("d/manifest.json")));

    err = new StringWriter();
    assertEquals(
        0,
        run(
            err,
            "export",
            "-q",
            "--plugin-path",
            plugins.toString(),
            "dir:" + tmp.resolve("d"),
            tmp.resolve("a.tar").toString()),
        err.toString());
    assertEquals(
        0,
        run(err, "export", "-q", "oci:" + layout + ":v1", tmp.resolve("b.tar").toString()),
        err.toString());
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("b.tar")), Files.readAllBytes(tmp.resolve("a.tar")));
  }
}
