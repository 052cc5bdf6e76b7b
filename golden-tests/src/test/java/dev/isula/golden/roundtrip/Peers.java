package dev.isula.golden.roundtrip;

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

  /** Skips (or, with CI=true, fails) unless every tool is installed. */
  static void require(String... tools) {
    List<String> missing = new ArrayList<>();
    for (String t : tools) {
      if (!has(t)) {
        missing.add(t);
      }
    }
    requireThat(missing.isEmpty(), "missing tools " + missing);
  }

  /** Skips (or, with CI=true, fails) unless {@code condition} holds. */
  static void requireThat(boolean condition, String what) {
    if (condition) {
      return;
    }
    if (inCi()) {
      fail("round-trip peer test cannot run in CI (CI=true): " + what);
    }
    Assumptions.abort(what + " (set CI=true to make this a failure)");
  }

  static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
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
    private final Path dir;
    private final Map<String, String> env = new LinkedHashMap<>();

    Podman(Path dir) throws IOException {
      this.dir = Files.createDirectories(dir);
      Path tmp = Files.createDirectories(dir.resolve("tmp"));
      Path conf = dir.resolve("containers.conf");
      Files.writeString(
          conf,
          String.join(
              "\n",
              "[containers]",
              "default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]",
              "[engine]",
              "runtime = \"runc\"",
              "events_logger = \"file\"",
              "cgroup_manager = \"cgroupfs\"",
              "image_copy_tmp_dir = \"" + tmp + "\"",
              "tmp_dir = \"" + dir.resolve("e") + "\"",
              "lock_type = \"file\"",
              "[network]",
              "network_config_dir = \"" + dir.resolve("n") + "\"",
              ""));
      Path storage = dir.resolve("storage.conf");
      Files.writeString(
          storage,
          String.join(
              "\n",
              "[storage]",
              "driver = \"vfs\"",
              "runroot = \"" + dir.resolve("r") + "\"",
              "graphroot = \"" + dir.resolve("g") + "\"",
              ""));
      env.put("CONTAINERS_CONF", conf.toString());
      env.put("CONTAINERS_STORAGE_CONF", storage.toString());
      env.put("TMPDIR", tmp.toString());
    }

    private String[] command(String... args) {
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  "podman",
                  "--root",
                  dir.resolve("g").toString(),
                  "--runroot",
                  dir.resolve("r").toString(),
                  "--storage-driver",
                  "vfs",
                  "--events-backend",
                  "file",
                  "--runtime",
                  "runc",
                  "--cgroup-manager",
                  "cgroupfs"));
      cmd.addAll(List.of(args));
      return cmd.toArray(String[]::new);
    }

    Result run(String... args) throws Exception {
      return Peers.run(dir, env, command(args));
    }

    Result exec(String... args) throws Exception {
      return Peers.exec(dir, env, command(args));
    }

    @Override
    public void close() throws Exception {
      if (Files.isDirectory(dir.resolve("g"))) {
        Peers.exec(dir, env, command("rmi", "--all", "--force"));
      }
    }
  }
}
