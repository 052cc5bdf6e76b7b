package dev.isula.golden.registry;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the external tools of the registry tests (docker-registry, skopeo, openssl, htpasswd) with a
 * timeout, stdin from /dev/null and output captured in files. A missing tool skips the test on a
 * developer machine and fails it with {@code CI=true}, as for the other peer tests.
 */
final class Exec {
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  private Exec() {}

  /** A finished command. */
  record Result(List<String> command, int exit, byte[] stdoutBytes, String stderr) {
    String stdout() {
      return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return String.join(" ", command)
          + "\nexit "
          + exit
          + "\n--- stdout:\n"
          + stdout()
          + "\n--- stderr:\n"
          + stderr;
    }
  }

  static Optional<Path> which(String tool) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin"));
    for (String d : dirs) {
      Path p = Path.of(d.isEmpty() ? "." : d, tool);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Skips (or, in CI, fails) unless every tool is installed. */
  static void require(String... tools) {
    List<String> missing = new ArrayList<>();
    for (String t : tools) {
      if (which(t).isEmpty()) {
        missing.add(t);
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    String what =
        "missing tools "
            + missing
            + " (scripts/install-test-deps.sh installs them: docker-registry, apache2-utils,"
            + " skopeo, openssl)";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail("registry test environment incomplete in CI (CI=true): " + what);
    }
    Assumptions.abort("registry test skipped: " + what + " (set CI=true to make this a failure)");
  }

  /** Runs {@code cmd} and fails unless it exits with 0. */
  static Result ok(String... cmd) throws IOException {
    Result r = run(List.of(cmd));
    if (r.exit() != 0) {
      fail("command failed: " + r);
    }
    return r;
  }

  /** Runs {@code cmd}; fails only on a timeout. */
  static Result run(List<String> cmd) throws IOException {
    Path out = Files.createTempFile("registry-tool-", ".out");
    Path err = Files.createTempFile("registry-tool-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      pb.environment().put("LC_ALL", "C");
      Process p = pb.start();
      try {
        if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          fail("timed out after " + TIMEOUT.toSeconds() + "s: " + String.join(" ", cmd));
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted");
      }
      return new Result(
          List.copyOf(cmd),
          p.exitValue(),
          Files.readAllBytes(out),
          Files.readString(err, StandardCharsets.ISO_8859_1));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
