package dev.isula.golden.store;

import static org.junit.jupiter.api.Assertions.fail;

import dev.isula.golden.ContainerSandbox;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * skopeo and podman confined to a scratch directory (their own containers.conf, storage.conf, trust
 * policy, storage roots and TMPDIR, as /work/shared/REAL-TOOLS.md prescribes), so the machine's
 * image store is never touched. podman uses the overlay driver, as the peer tests of the other
 * packages do. A missing tool skips the test, or fails it when {@code CI=true}.
 */
final class PeerTools implements AutoCloseable {
  private final ContainerSandbox sandbox;
  private final Path dir;
  private final Path policy;
  private final Map<String, String> env = new LinkedHashMap<>();

  /** A finished command. */
  record Result(List<String> command, int exitCode, String out, String err) {
    @Override
    public String toString() {
      return String.join(" ", command)
          + "\nexit "
          + exitCode
          + "\n--- stdout:\n"
          + StoreCli.tail(out)
          + "\n--- stderr:\n"
          + StoreCli.tail(err);
    }
  }

  /** {@code dir} should be short: podman refuses a run root longer than 50 characters. */
  PeerTools(Path dir) throws IOException {
    sandbox = new ContainerSandbox(dir, "overlay", "r", "g");
    this.dir = sandbox.dir();
    policy = sandbox.policy();
    env.putAll(sandbox.env());
  }

  static boolean inCi() {
    return ContainerSandbox.inCi();
  }

  static boolean has(String tool) {
    return ContainerSandbox.has(tool);
  }

  /** Skips (or, with CI=true, fails) unless every tool is installed and we are root. */
  static void require(String... tools) {
    List<String> missing = ContainerSandbox.missing(tools);
    ContainerSandbox.requireThat(missing.isEmpty(), "store peer test", "missing tools " + missing);
    ContainerSandbox.requireThat(
        !List.of(tools).contains("podman") || isRoot(),
        "store peer test",
        "podman with the overlay driver needs root");
  }

  static boolean isRoot() {
    return ContainerSandbox.isRoot();
  }

  /** {@code skopeo --policy P ARGS...}; fails unless it exits with 0. */
  Result skopeo(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("skopeo", "--policy", policy.toString()));
    cmd.addAll(List.of(args));
    return ok(cmd);
  }

  private List<String> podmanCommand(String... args) {
    return sandbox.podman(args);
  }

  /** {@code podman ARGS...} with its storage under the scratch directory; must exit with 0. */
  Result podman(String... args) throws Exception {
    return ok(podmanCommand(args));
  }

  private Result ok(List<String> cmd) throws Exception {
    Result r = exec(cmd);
    if (r.exitCode() != 0) {
      fail("command failed:\n" + r);
    }
    return r;
  }

  /** Runs {@code cmd} with stdin from /dev/null and output in files; fails only on a timeout. */
  Result exec(List<String> cmd) throws Exception {
    Path out = Files.createTempFile(dir, "cmd-", ".out");
    Path err = Files.createTempFile(dir, "cmd-", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      pb.environment().put("LC_ALL", "C");
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        fail("timed out: " + String.join(" ", cmd));
      }
      return new Result(
          List.copyOf(cmd),
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** Removes podman's images, so that no overlay mount outlives the test. */
  @Override
  public void close() throws Exception {
    if (Files.isDirectory(sandbox.graphRoot())) {
      exec(podmanCommand("rmi", "--all", "--force"));
    }
  }
}
