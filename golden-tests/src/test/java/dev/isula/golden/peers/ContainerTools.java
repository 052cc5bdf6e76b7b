package dev.isula.golden.peers;

import dev.isula.golden.ContainerSandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * skopeo, buildah and podman confined to a scratch directory: their own containers.conf,
 * storage.conf, trust policy, storage roots and TMPDIR, so a test never reads or writes the
 * machine's image store (settings from /work/shared/REAL-TOOLS.md), nor leaves state behind in
 * /run/libpod, /run/containers or /dev/shm/libpod_lock ({@code tmp_dir}, {@code lock_type =
 * "file"}, {@code network_config_dir}). Directory names are short: podman refuses a run root longer
 * than 50 characters.
 *
 * <p>Both buildah and podman use the overlay driver. buildah needs it: only a real overlay upper
 * directory turns "rm -rf dir; mkdir dir" into an opaque whiteout on commit (vfs diffs by walking
 * trees and writes one {@code .wh.} per old child). podman needs it for our image: its vfs driver
 * refuses umoci's layer that holds the file {@code srv/repl} followed by the whiteout {@code
 * srv/repl/.wh.x} ("unlinkat /srv/repl/x: not a directory"), see {@link SyntheticImage}.
 */
final class ContainerTools implements AutoCloseable {
  private final ContainerSandbox sandbox;
  private final Path dir;
  private final Path policy;
  private final Map<String, String> env;

  ContainerTools(Path dir) throws IOException {
    // podman's storage is its own pr/prr; the configured default roots stay unused
    sandbox = new ContainerSandbox(dir, "overlay", "prr", "pr");
    this.dir = sandbox.dir();
    policy = sandbox.policy();
    env = sandbox.env();
  }

  Path policy() {
    return policy;
  }

  /** {@code skopeo --policy P ARGS...}. */
  Tools.Result skopeo(Path cwd, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("skopeo", "--policy", policy.toString()));
    cmd.addAll(List.of(args));
    return Tools.run(cmd, cwd, env, Tools.DEFAULT_TIMEOUT);
  }

  /** {@code buildah} with its storage under the scratch directory. */
  Tools.Result buildah(Path cwd, String... args) throws IOException {
    return Tools.run(buildahCommand(args), cwd, env, Tools.DEFAULT_TIMEOUT);
  }

  private List<String> buildahCommand(String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "buildah",
                "--root",
                dir.resolve("br").toString(),
                "--runroot",
                dir.resolve("brr").toString(),
                "--storage-driver",
                "overlay"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** {@code podman} with its storage under the scratch directory. */
  Tools.Result podman(Path cwd, String... args) throws IOException {
    return Tools.run(podmanCommand(args), cwd, env, Tools.DEFAULT_TIMEOUT);
  }

  private List<String> podmanCommand(String... args) {
    return sandbox.podman(args);
  }

  /** Removes containers and images so that no overlay mount outlives the test. */
  @Override
  public void close() throws IOException {
    Duration t = Duration.ofMinutes(1);
    if (Files.isDirectory(dir.resolve("br"))) {
      Tools.exec(buildahCommand("rm", "--all"), dir, env, t);
      Tools.exec(buildahCommand("rmi", "--all", "--force"), dir, env, t);
    }
    if (Files.isDirectory(sandbox.graphRoot())) {
      Tools.exec(podmanCommand("rmi", "--all", "--force"), dir, env, t);
    }
  }
}
