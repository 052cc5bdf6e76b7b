package dev.isula.golden.store;

import static org.junit.jupiter.api.Assertions.fail;

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
import org.junit.jupiter.api.Assumptions;

/**
 * skopeo and podman confined to a scratch directory (their own containers.conf, storage.conf, trust
 * policy, storage roots and TMPDIR, as /work/shared/REAL-TOOLS.md prescribes), so the machine's
 * image store is never touched. podman uses the overlay driver, as the peer tests of the other
 * packages do. A missing tool skips the test, or fails it when {@code CI=true}.
 */
final class PeerTools implements AutoCloseable {
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
    this.dir = Files.createDirectories(dir);
    Path tmp = Files.createDirectories(dir.resolve("tmp"));
    Path conf = dir.resolve("containers.conf");
    Files.writeString(
        conf,
        """
        [containers]
        default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
        [engine]
        runtime = "runc"
        events_logger = "file"
        cgroup_manager = "cgroupfs"
        image_copy_tmp_dir = "%s"
        tmp_dir = "%s"
        lock_type = "file"
        [network]
        network_config_dir = "%s"
        """
            .formatted(tmp, dir.resolve("e"), dir.resolve("n")));
    Path storage = dir.resolve("storage.conf");
    Files.writeString(
        storage,
        """
        [storage]
        driver = "overlay"
        runroot = "%s"
        graphroot = "%s"
        """
            .formatted(dir.resolve("r"), dir.resolve("g")));
    policy = dir.resolve("policy.json");
    Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}\n");
    env.put("CONTAINERS_CONF", conf.toString());
    env.put("CONTAINERS_STORAGE_CONF", storage.toString());
    env.put("TMPDIR", tmp.toString());
  }

  static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  static boolean has(String tool) {
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(List.of("/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"));
    for (String d : dirs) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }

  /** Skips (or, with CI=true, fails) unless every tool is installed and we are root. */
  static void require(String... tools) {
    List<String> missing = new ArrayList<>();
    for (String t : tools) {
      if (!has(t)) {
        missing.add(t);
      }
    }
    String problem = missing.isEmpty() ? null : "missing tools " + missing;
    if (problem == null && tools.length > 0 && List.of(tools).contains("podman") && !isRoot()) {
      problem = "podman with the overlay driver needs root";
    }
    if (problem == null) {
      return;
    }
    if (inCi()) {
      fail("store peer test cannot run in CI (CI=true): " + problem);
    }
    Assumptions.abort(problem + " (set CI=true to make this a failure)");
  }

  static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** {@code skopeo --policy P ARGS...}; fails unless it exits with 0. */
  Result skopeo(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("skopeo", "--policy", policy.toString()));
    cmd.addAll(List.of(args));
    return ok(cmd);
  }

  private List<String> podmanCommand(String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "podman",
                "--root",
                dir.resolve("g").toString(),
                "--runroot",
                dir.resolve("r").toString(),
                "--storage-driver",
                "overlay",
                "--events-backend",
                "file",
                "--runtime",
                "runc",
                "--cgroup-manager",
                "cgroupfs"));
    cmd.addAll(List.of(args));
    return cmd;
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
    if (Files.isDirectory(dir.resolve("g"))) {
      exec(podmanCommand("rmi", "--all", "--force"));
    }
  }
}
