package dev.isula.golden.jbang;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training run behind the launcher's AppCDS archive does what it is meant to: every command it
 * exercises succeeds, including the export from its loopback registry (a silent failure there would
 * only make the registry path start slower, so nothing else would notice).
 */
class CdsTrainingTest {
  private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();

  @TempDir Path work;

  @Test
  void everyTrainingRunSucceeds() throws Exception {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.isula.toolkit.cli.CdsTraining",
                REPO.resolve("samples/hello.tar").toString(),
                work.toString())
            .redirectErrorStream(true)
            .start();
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "timed out");
    assertEquals(0, p.exitValue(), said);
    for (String out : new String[] {"rootfs.tar", "rootfs.tar.gz", "d.tar", "registry.tar"}) {
      assertTrue(Files.isRegularFile(work.resolve(out)), out + " missing: " + said);
    }
    assertTrue(Files.isRegularFile(work.resolve("split/empty.tar")), said);
    assertArrayEquals(
        Files.readAllBytes(work.resolve("rootfs.tar")),
        Files.readAllBytes(work.resolve("registry.tar")),
        "the export through the loopback registry gives the same rootfs");
  }
}
