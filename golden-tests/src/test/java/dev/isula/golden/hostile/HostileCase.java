package dev.isula.golden.hostile;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One crafted input of the hostile-input corpus: how to build it, which command line it goes
 * through, and what must happen. Either the run fails with exit status 1, one line on stderr naming
 * the entry, and an exception of a declared type; or the input is one the specs allow, and the run
 * succeeds with a defined, safe result that {@link Expect.Succeeds#check} verifies. Either way
 * {@link HostileCorpusTest} then checks the file system: nothing written outside the target, no
 * partial output, inputs and store unchanged.
 *
 * @param bounded run in a child JVM with a 128 MiB heap and a hard timeout (bombs)
 */
record HostileCase(
    String id,
    Reader reader,
    Command command,
    String description,
    Input input,
    Expect expect,
    boolean bounded) {

  /** Which reader the crafted input is aimed at. */
  enum Reader {
    DOCKER_ARCHIVE("docker-archive"),
    OCI_LAYOUT("oci layout"),
    OCI_ARCHIVE("oci-archive"),
    ROOTFS_TAR("rootfs tar"),
    EMPTY_TAR("empty.tar");

    final String label;

    Reader(String label) {
      this.label = label;
    }
  }

  /** The command line the input goes through, and so the sink that would be written. */
  enum Command {
    EXPORT_TAR("export → tar"),
    EXPORT_SPLIT("export --split → dir"),
    IMPORT("import → oci"),
    IMPORT_ROOTFS("import --rootfs → docker-archive"),
    LOAD("load → store");

    final String label;

    Command(String label) {
      this.label = label;
    }
  }

  /** Builds the input files in the workspace; returns what the command line needs. */
  @FunctionalInterface
  interface Input {
    Built build(Workspace ws) throws Exception;
  }

  /**
   * @param source the image reference (export, load), or the rootfs (import, import --rootfs)
   * @param emptyTar for import --rootfs: the empty.tar
   * @param env extra environment for bounded runs in a child JVM (limits)
   */
  record Built(String source, String emptyTar, Map<String, String> env) {
    static Built of(String source) {
      return new Built(source, null, Map.of());
    }

    Built withEnv(Map<String, String> e) {
      return new Built(source, emptyTar, e);
    }
  }

  /** What must happen. */
  sealed interface Expect permits Expect.Fails, Expect.Succeeds {
    /**
     * Exit status 1, one line, an exception that is a {@code type}, and a message containing every
     * fragment ({@code {canary}} stands for the canary path the case aimed at).
     */
    record Fails(Class<? extends Throwable> type, List<String> fragments) implements Expect {}

    /** Exit status 0, and {@code check} holds; {@code result} says what the safe result is. */
    record Succeeds(String result, Check check) implements Expect {}
  }

  /** Verifies a successful run's result. */
  @FunctionalInterface
  interface Check {
    void verify(Workspace ws, HostileCli.Run run) throws Exception;
  }

  static Expect fails(Class<? extends Throwable> type, String... fragments) {
    return new Expect.Fails(type, List.of(fragments));
  }

  static Expect succeeds(String result, Check check) {
    return new Expect.Succeeds(result, check);
  }

  /** The {@code isula} arguments for this case (without {@code --debug}). */
  List<String> args(Workspace ws, Built built) {
    List<String> a = new ArrayList<>();
    switch (command) {
      case EXPORT_TAR ->
          a.addAll(List.of("export", "-q", built.source(), ws.exportTar().toString()));
      case EXPORT_SPLIT ->
          a.addAll(List.of("export", "-q", "--split", built.source(), ws.splitDir().toString()));
      case IMPORT ->
          a.addAll(
              List.of(
                  "import",
                  "-q",
                  built.source(),
                  "hostile/imported:1",
                  "-o",
                  "oci:" + ws.importLayout() + ":imported"));
      case IMPORT_ROOTFS ->
          a.addAll(
              List.of(
                  "import",
                  "-q",
                  "--rootfs",
                  built.source(),
                  built.emptyTar(),
                  "-o",
                  "docker-archive:" + ws.importArchive()));
      case LOAD ->
          a.addAll(List.of("load", "-q", "--root", ws.store.toString(), "-i", built.source()));
    }
    return a;
  }

  @Override
  public String toString() {
    return id + " [" + reader.label + ", " + command.label + "] " + description;
  }
}
