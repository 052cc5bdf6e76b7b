package dev.isula.toolkit.tar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the real tar implementations (GNU tar, bsdtar, busybox, python3's tarfile) that the codec
 * tests take their archives from. A missing tool skips the test on a developer machine and fails it
 * under {@code CI=true}.
 */
final class RealTools {
  private RealTools() {}

  static void require(String... tools) {
    for (String t : tools) {
      Path p = Path.of("/usr/bin", t);
      if (!Files.isExecutable(p)) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
          fail(t + " is not installed (required under CI=true)");
        }
        Assumptions.abort(t + " is not installed");
      }
    }
  }

  /** Runs a command in {@code dir}; fails the test unless it exits 0. Returns stdout. */
  static String run(Path dir, String... command) throws IOException, InterruptedException {
    Result r = exec(dir, command);
    assertEquals(0, r.exit, String.join(" ", command) + " failed: " + r.stderr);
    return r.stdout;
  }

  /** Runs a command in {@code dir} and returns its exit code and output, whatever they are. */
  static Result exec(Path dir, String... command) throws IOException, InterruptedException {
    Path out = Files.createTempFile("tool", ".out");
    Path err = Files.createTempFile("tool", ".err");
    try {
      Process p =
          new ProcessBuilder(List.of(command))
              .directory(dir.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        fail(String.join(" ", command) + " timed out");
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  record Result(int exit, String stdout, String stderr) {}
}
