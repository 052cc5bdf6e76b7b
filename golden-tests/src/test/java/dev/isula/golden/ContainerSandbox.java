package dev.isula.golden;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * What the peer tests share to run skopeo, podman and buildah as independent oracles: tool
 * detection, the skip-or-fail rule (a missing tool skips a test on a developer machine and fails it
 * with {@code CI=true}), and a scratch directory with its own containers.conf, storage.conf, trust
 * policy and TMPDIR, so a test never reads or writes the machine's image store nor leaves state in
 * /run/libpod, /run/containers or /dev/shm ({@code tmp_dir}, {@code lock_type = "file"}, {@code
 * network_config_dir}). Directory names should be short: podman refuses a run root longer than 50
 * characters.
 */
public final class ContainerSandbox {
  private final Path dir;
  private final Path policy;
  private final Path runRoot;
  private final Path graphRoot;
  private final String driver;
  private final Map<String, String> env = new LinkedHashMap<>();

  /**
   * Writes the configuration into {@code dir}.
   *
   * @param driver the storage driver, {@code overlay} or {@code vfs}
   * @param runRoot the storage run root's name below {@code dir}
   * @param graphRoot the storage graph root's name below {@code dir}
   */
  public ContainerSandbox(Path dir, String driver, String runRoot, String graphRoot)
      throws IOException {
    this.dir = Files.createDirectories(dir);
    this.driver = driver;
    this.runRoot = dir.resolve(runRoot);
    this.graphRoot = dir.resolve(graphRoot);
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
        driver = "%s"
        runroot = "%s"
        graphroot = "%s"
        """
            .formatted(driver, this.runRoot, this.graphRoot));
    policy = dir.resolve("policy.json");
    Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}\n");
    env.put("CONTAINERS_CONF", conf.toString());
    env.put("CONTAINERS_STORAGE_CONF", storage.toString());
    env.put("TMPDIR", tmp.toString());
  }

  public Path dir() {
    return dir;
  }

  /** A trust policy accepting anything, for {@code skopeo --policy}. */
  public Path policy() {
    return policy;
  }

  public Path runRoot() {
    return runRoot;
  }

  public Path graphRoot() {
    return graphRoot;
  }

  /** CONTAINERS_CONF, CONTAINERS_STORAGE_CONF and TMPDIR for the tools' processes. */
  public Map<String, String> env() {
    return env;
  }

  /** {@code podman ARGS...} with its storage, events and runtime settings pointing here. */
  public List<String> podman(String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "podman",
                "--root",
                graphRoot.toString(),
                "--runroot",
                runRoot.toString(),
                "--storage-driver",
                driver,
                "--events-backend",
                "file",
                "--runtime",
                "runc",
                "--cgroup-manager",
                "cgroupfs"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  public static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** Whether {@code tool} is an executable on PATH (or in the usual system directories). */
  public static boolean has(String tool) {
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

  /** The tools of {@code tools} that are not installed. */
  public static List<String> missing(String... tools) {
    List<String> missing = new ArrayList<>();
    for (String t : tools) {
      if (!has(t)) {
        missing.add(t);
      }
    }
    return missing;
  }

  public static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Skips the test (or, with CI=true, fails it, naming {@code kind}) unless {@code condition}
   * holds.
   */
  public static void requireThat(boolean condition, String kind, String what) {
    if (condition) {
      return;
    }
    if (inCi()) {
      fail(kind + " cannot run in CI (CI=true): " + what);
    }
    Assumptions.abort(what + " (set CI=true to make this a failure)");
  }
}
