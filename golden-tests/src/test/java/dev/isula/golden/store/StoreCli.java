package dev.isula.golden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.golden.CliRun;
import dev.isula.toolkit.cli.IsulaCli;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.store.ImageStores;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs {@code isula} for the store tests: in this JVM with its output captured, or as child JVMs
 * (one per process of a concurrency test) with their output in files.
 *
 * <p>{@code --root} sets a system property of the JVM it runs in; in-process runs put the previous
 * value back afterwards, so no other test class sees the store of these tests.
 */
final class StoreCli {
  private static final AtomicInteger CHILDREN = new AtomicInteger();

  private StoreCli() {}

  /** One finished run. */
  record Run(List<String> args, int exitCode, String out, String err) {
    /** Fails unless the run exited with 0. */
    Run ok() {
      assertEquals(0, exitCode, () -> "isula " + String.join(" ", args) + " failed:\n" + this);
      return this;
    }

    List<String> outLines() {
      return out.lines().toList();
    }

    @Override
    public String toString() {
      return "isula "
          + String.join(" ", args)
          + "\nexit "
          + exitCode
          + "\n--- stdout:\n"
          + tail(out)
          + "\n--- stderr:\n"
          + tail(err);
    }
  }

  static String tail(String s) {
    return s.length() <= 6000 ? s : "..." + s.substring(s.length() - 6000);
  }

  /** {@code isula ARGS...} in this JVM. */
  static synchronized Run run(String... args) {
    String root = System.getProperty(ImageStores.ROOT_PROPERTY);
    try {
      CliRun r = CliRun.isula(args);
      return new Run(List.of(args), r.exitCode(), r.out(), r.err());
    } finally {
      if (root == null) {
        System.clearProperty(ImageStores.ROOT_PROPERTY);
      } else {
        System.setProperty(ImageStores.ROOT_PROPERTY, root);
      }
    }
  }

  /** {@code isula ARGS...} in this JVM; fails unless it exits with 0. */
  static Run ok(String... args) {
    return run(args).ok();
  }

  /** {@code isula SUBCOMMAND --root ROOT ARGS...} in this JVM; fails unless it exits with 0. */
  static Run ok(Path root, String subcommand, String... args) {
    return run(root, subcommand, args).ok();
  }

  /** {@code isula SUBCOMMAND --root ROOT ARGS...} in this JVM. */
  static Run run(Path root, String subcommand, String... args) {
    return run(withRoot(root, subcommand, args));
  }

  static String[] withRoot(Path root, String subcommand, String... args) {
    List<String> all = new ArrayList<>();
    all.add(subcommand);
    all.add("--root");
    all.add(root.toString());
    all.addAll(List.of(args));
    return all.toArray(String[]::new);
  }

  private static final AtomicInteger EXPORTS = new AtomicInteger();

  /**
   * {@code isula export -q --root ROOT IMAGE FILE} in this JVM to a new file under {@code dir};
   * returns the rootfs tarball's bytes (fails unless the export succeeds).
   */
  static byte[] export(Path root, String image, Path dir) throws IOException {
    Path out = dir.resolve("export-" + EXPORTS.incrementAndGet() + ".tar");
    ok(root, "export", "-q", image, out.toString());
    try {
      return Files.readAllBytes(out);
    } finally {
      Files.delete(out);
    }
  }

  /** {@code isula images --format json}, parsed; fails unless it succeeds. */
  static List<JsonNode> images(Path root) throws IOException {
    Run r = ok(root, "images", "--format", "json");
    JsonNode arr = Json.mapper().readTree(r.out());
    assertTrue(arr.isArray(), () -> "images --format json printed no array:\n" + r);
    List<JsonNode> out = new ArrayList<>();
    arr.forEach(out::add);
    return out;
  }

  /** Every name {@code images --format json} lists, sorted. */
  static List<String> names(Path root) throws IOException {
    List<String> out = new ArrayList<>();
    for (JsonNode i : images(root)) {
      i.path("Names").forEach(n -> out.add(n.asText()));
    }
    out.sort(null);
    return out;
  }

  /** The {@code images --format json} entry of the image called {@code name}. */
  static JsonNode image(Path root, String name) throws IOException {
    for (JsonNode i : images(root)) {
      for (JsonNode n : i.path("Names")) {
        if (n.asText().equals(name)) {
          return i;
        }
      }
    }
    throw new AssertionError("no image named " + name + " in " + images(root));
  }

  /** A child JVM running {@code isula}; stdin is /dev/null, output goes to files. */
  static final class Child implements AutoCloseable {
    final List<String> args;
    final Process process;

    /** Its TMPDIR (where {@code load} spools standard input). */
    final Path tmp;

    private final Path out;
    private final Path err;

    private Child(List<String> args, Process process, Path tmp, Path out, Path err) {
      this.args = args;
      this.process = process;
      this.tmp = tmp;
      this.out = out;
      this.err = err;
    }

    /**
     * Starts {@code isula ARGS...} in a new JVM with this test class path.
     *
     * @param dir where its output files and its TMPDIR go
     */
    static Child start(Path dir, String... args) throws IOException {
      return start(dir, Map.of(), args);
    }

    /** Like {@link #start(Path, String...)}, with extra environment variables. */
    static Child start(Path dir, Map<String, String> env, String... args) throws IOException {
      return start(dir, env, false, args);
    }

    /**
     * Starts {@code isula ARGS...} with standard input a pipe: write to {@link #stdin()}, close it
     * to end the input.
     */
    static Child startWithStdin(Path dir, String... args) throws IOException {
      return start(dir, Map.of(), true, args);
    }

    private static Child start(Path dir, Map<String, String> env, boolean pipe, String... args)
        throws IOException {
      int n = CHILDREN.incrementAndGet();
      Path tmp = Files.createDirectories(dir.resolve("child-" + n + ".tmp"));
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-XX:TieredStopAtLevel=1");
      cmd.add("-XX:+UseSerialGC");
      cmd.add("-Djava.io.tmpdir=" + tmp);
      cmd.add("-cp");
      cmd.add(classPath());
      cmd.add(IsulaCli.class.getName());
      cmd.addAll(List.of(args));
      Path out = dir.resolve("child-" + n + ".out");
      Path err = dir.resolve("child-" + n + ".err");
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
      pb.redirectInput(
          pipe
              ? ProcessBuilder.Redirect.PIPE
              : ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      pb.environment().remove(ImageStores.ROOT_ENV);
      pb.environment().remove("SOURCE_DATE_EPOCH");
      pb.environment().put("TMPDIR", tmp.toString());
      pb.environment().putAll(env);
      return new Child(List.of(args), pb.start(), tmp, out, err);
    }

    OutputStream stdin() {
      return process.getOutputStream();
    }

    boolean isAlive() {
      return process.isAlive();
    }

    /** Waits for the end; fails (after killing it) if it takes longer than {@code timeout}. */
    Run await(Duration timeout) throws IOException, InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
        fail(
            "isula " + String.join(" ", args) + " did not finish in " + timeout + ":\n" + result());
      }
      return result();
    }

    /** What it printed so far, and its exit code (-1 while it runs). */
    Run result() throws IOException {
      return new Run(
          args,
          process.isAlive() ? -1 : process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    }

    /** kill -9, and wait until it is gone. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      if (!process.waitFor(1, TimeUnit.MINUTES)) {
        fail("isula " + String.join(" ", args) + " survived kill -9 for a minute");
      }
    }

    /** Kills it if it still runs (the test failed before waiting for it). */
    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroyForcibly();
        try {
          process.waitFor(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** {@code isula ARGS...} in a child JVM; waits up to 5 minutes. */
  static Run subprocess(Path dir, String... args) throws IOException, InterruptedException {
    try (Child c = Child.start(dir, args)) {
      return c.await(Duration.ofMinutes(5));
    }
  }

  /** The test class path (surefire sets java.class.path to it in the forked JVM). */
  private static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }
}
