package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.fail;

import dev.isula.golden.ContainerSandbox;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs real tools (podman, skopeo, umoci, oci-image-tool, gzip) for the round-trip tests. A missing
 * tool skips the test, or fails it when {@code CI=true}. Commands get a timeout, stdin from
 * /dev/null and their output in files; failures quote the command, exit code and output.
 */
final class Peers {
  private Peers() {}

  /** A finished command. */
  record Result(List<String> command, int exitCode, String out, String err) {
    @Override
    public String toString() {
      return String.join(" ", command)
          + "\nexit "
          + exitCode
          + "\n--- stdout:\n"
          + tail(out)
          + "\n--- stderr:\n"
          + tail(err);
    }

    private static String tail(String s) {
      return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    }
  }

  static boolean inCi() {
    return ContainerSandbox.inCi();
  }

  static boolean has(String tool) {
    return ContainerSandbox.has(tool);
  }

  /** Skips (or, with CI=true, fails) unless every tool is installed. */
  static void require(String... tools) {
    List<String> missing = ContainerSandbox.missing(tools);
    requireThat(missing.isEmpty(), "missing tools " + missing);
  }

  /** Skips (or, with CI=true, fails) unless {@code condition} holds. */
  static void requireThat(boolean condition, String what) {
    ContainerSandbox.requireThat(condition, "round-trip peer test", what);
  }

  static boolean isRoot() {
    return ContainerSandbox.isRoot();
  }

  /** Runs {@code cmd}; fails unless it exits with 0. */
  static Result run(Path cwd, Map<String, String> env, String... cmd) throws Exception {
    Result r = exec(cwd, env, cmd);
    if (r.exitCode() != 0) {
      fail("command failed:\n" + r);
    }
    return r;
  }

  /** Runs {@code cmd} and returns whatever happened; fails only on a timeout. */
  static Result exec(Path cwd, Map<String, String> env, String... cmd) throws Exception {
    Path out = Files.createTempFile("rt-peer-", ".out");
    Path err = Files.createTempFile("rt-peer-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      pb.environment().put("LC_ALL", "C");
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        fail("timed out: " + String.join(" ", cmd));
      }
      return new Result(
          List.of(cmd),
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /**
   * podman with vfs storage, its run root, temp and lock files all under one scratch directory (as
   * /work/shared/REAL-TOOLS.md prescribes), so the machine's store is never touched. Close removes
   * the images again.
   */
  static final class Podman implements AutoCloseable {
    private final ContainerSandbox sandbox;
    private final Path dir;
    private final Map<String, String> env = new LinkedHashMap<>();

    Podman(Path dir) throws IOException {
      sandbox = new ContainerSandbox(dir, "vfs", "r", "g");
      this.dir = sandbox.dir();
      env.putAll(sandbox.env());
    }

    private String[] command(String... args) {
      return sandbox.podman(args).toArray(String[]::new);
    }

    Result run(String... args) throws Exception {
      return Peers.run(dir, env, command(args));
    }

    Result exec(String... args) throws Exception {
      return Peers.exec(dir, env, command(args));
    }

    @Override
    public void close() throws Exception {
      if (Files.isDirectory(sandbox.graphRoot())) {
        Peers.exec(dir, env, command("rmi", "--all", "--force"));
      }
    }
  }
}
