package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the real container tools (umoci, skopeo, buildah, podman, getfattr, ...) for the peer tests.
 *
 * <p>Every command gets a timeout, stdin from {@code /dev/null}, {@code LC_ALL=C} and its output
 * captured in temporary files (no pipe can fill up); a failure message quotes the command line, the
 * working directory, the exit code and the tail of stderr and stdout.
 *
 * <p>A missing tool skips the test on a developer machine but fails it when {@code CI=true}: the
 * peer tests must really run in CI.
 */
final class Tools {
  static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(3);
  private static final int TAIL = 6000;

  private Tools() {}

  /** Output of a finished command. */
  record Result(List<String> command, int exitCode, byte[] stdoutBytes, String stderr) {
    String stdout() {
      return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    /** The last non-empty line of stdout, trimmed (ids printed by buildah and friends). */
    String lastLine() {
      String[] lines = stdout().strip().split("\n");
      return lines[lines.length - 1].strip();
    }
  }

  static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** The executable's absolute path, searching PATH and then the sbin directories. */
  static Optional<Path> which(String tool) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin"));
    for (String d : dirs) {
      if (d.isEmpty()) {
        continue;
      }
      Path p = Path.of(d, tool);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  static boolean has(String tool) {
    return which(tool).isPresent();
  }

  /**
   * Skips the calling test (or class, from {@code @BeforeAll}) unless all tools exist; with {@code
   * CI=true} a missing tool is a failure instead.
   */
  static void require(String... tools) {
    List<String> missing = new ArrayList<>();
    for (String t : tools) {
      if (!has(t)) {
        missing.add(t);
      }
    }
    if (!missing.isEmpty()) {
      requireThat(false, "missing tools " + missing);
    }
  }

  /** Like {@link #require} for any precondition of the environment (root, xattr support, ...). */
  static void requireThat(boolean condition, String what) {
    if (condition) {
      return;
    }
    if (inCi()) {
      fail("peer test environment incomplete in CI (CI=true): " + what);
    }
    Assumptions.abort("peer test skipped: " + what + " (set CI=true to make this a failure)");
  }

  static boolean isRoot() {
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      return uid instanceof Integer i && i == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * GNU tar's own extraction of {@code archive} into {@code into} (as root: owners, devices and
   * every xattr namespace kept), the reference the conformance and duplicate-path tests compare
   * with; fails unless tar exits with 0.
   */
  static Result gnuTarExtract(Path archive, Path into, Path cwd) throws IOException {
    return run(
        List.of(
            "tar",
            "--xattrs",
            "--xattrs-include=*",
            "--numeric-owner",
            "-xpf",
            archive.toString(),
            "-C",
            into.toString()),
        cwd);
  }

  /** Runs {@code cmd} in {@code cwd} and fails unless it exits with 0. */
  static Result run(List<String> cmd, Path cwd) throws IOException {
    return run(cmd, cwd, Map.of(), DEFAULT_TIMEOUT);
  }

  /** Runs {@code cmd} with extra environment variables and fails unless it exits with 0. */
  static Result run(List<String> cmd, Path cwd, Map<String, String> env, Duration timeout)
      throws IOException {
    Result r = exec(cmd, cwd, env, timeout);
    if (r.exitCode() != 0) {
      fail(describeFailure(r, cwd, "exited with " + r.exitCode()));
    }
    return r;
  }

  /** Runs a shell script ({@code sh -eu -c}) with extra environment variables. */
  static Result sh(String script, Path cwd, Map<String, String> env) throws IOException {
    return run(List.of("sh", "-eu", "-c", script), cwd, env, DEFAULT_TIMEOUT);
  }

  /** Runs {@code cmd} and returns whatever it did; fails only on a timeout. */
  static Result exec(List<String> cmd, Path cwd, Map<String, String> env, Duration timeout)
      throws IOException {
    Path out = Files.createTempFile("peer-tool-", ".out");
    Path err = Files.createTempFile("peer-tool-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.directory(cwd.toFile());
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      Map<String, String> e = pb.environment();
      e.put("LC_ALL", "C");
      e.putAll(env);
      Process p;
      try {
        p = pb.start();
      } catch (IOException ex) {
        fail("cannot start " + String.join(" ", cmd) + ": " + ex.getMessage());
        throw ex;
      }
      boolean done;
      try {
        done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException ex) {
        kill(p);
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while running " + cmd);
      }
      if (!done) {
        kill(p);
        Result r = new Result(cmd, -1, Files.readAllBytes(out), readTail(err));
        fail(describeFailure(r, cwd, "timed out after " + timeout.toSeconds() + " s"));
      }
      return new Result(List.copyOf(cmd), p.exitValue(), Files.readAllBytes(out), readTail(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** Ends the process we started and the processes it started, by their ids. */
  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String readTail(Path f) throws IOException {
    String s = Files.readString(f, StandardCharsets.ISO_8859_1);
    return s.length() <= TAIL ? s : "..." + s.substring(s.length() - TAIL);
  }

  static String describeFailure(Result r, Path cwd, String what) {
    String out = r.stdout();
    if (out.length() > TAIL) {
      out = "..." + out.substring(out.length() - TAIL);
    }
    return "command "
        + what
        + ": "
        + String.join(" ", r.command())
        + "\n  in: "
        + cwd
        + "\n  stderr:\n"
        + indent(r.stderr())
        + "\n  stdout:\n"
        + indent(out);
  }

  private static String indent(String s) {
    return s.isBlank() ? "    (empty)" : "    " + s.strip().replace("\n", "\n    ");
  }

  /** An environment map that keeps insertion order (for readable failure messages). */
  static Map<String, String> env(String... keyValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }
}
