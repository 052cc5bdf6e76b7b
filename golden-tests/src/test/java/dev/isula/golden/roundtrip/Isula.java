package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.isula.golden.CliRun;
import dev.isula.golden.WrittenTars;
import dev.isula.toolkit.cli.IsulaCli;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code isula} command line, in process (like {@code dev.isula.golden.CliRun}, which is
 * package-private there) or as a child JVM when the run needs its own environment ({@code
 * SOURCE_DATE_EPOCH}, {@code TMPDIR}: read with {@code System.getenv}), working directory or
 * standard input.
 */
final class Isula {
  private Isula() {}

  /** One finished run. */
  record Run(List<String> args, int exitCode, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }

    /** Fails unless the run exited with 0. */
    Run ok() {
      assertEquals(0, exitCode, () -> "isula " + String.join(" ", args) + " failed:\n" + this);
      return this;
    }

    @Override
    public String toString() {
      return "isula "
          + String.join(" ", args)
          + "\nexit "
          + exitCode
          + "\n--- stdout:\n"
          + out
          + "--- stderr:\n"
          + err;
    }
  }

  /** {@code isula ARGS...} in this JVM, output captured. */
  static Run run(String... args) {
    CliRun r = CliRun.isula(args);
    return new Run(List.of(args), r.exitCode(), r.out(), r.err());
  }

  /** {@code isula ARGS...} in this JVM; fails unless it exits with 0. */
  static Run ok(String... args) {
    return run(args).ok();
  }

  static Run run(List<String> args) {
    return run(args.toArray(String[]::new));
  }

  /**
   * {@code isula ARGS...} in a child JVM with this test class path.
   *
   * @param cwd working directory
   * @param env extra environment variables
   * @param stdin file for standard input, or null for /dev/null
   */
  static Run subprocess(Path cwd, Map<String, String> env, Path stdin, String... args)
      throws IOException, InterruptedException {
    return subprocess(cwd, env, stdin, null, args);
  }

  /**
   * As {@link #subprocess(Path, Map, Path, String...)}, with standard output (binary, say an
   * archive) going to {@code stdout} when it is not null; the run's {@code out} is then empty.
   */
  static Run subprocess(Path cwd, Map<String, String> env, Path stdin, Path stdout, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(IsulaCli.class.getName());
    cmd.addAll(Arrays.asList(args));
    Path out = Files.createTempFile("isula-rt-", ".out");
    Path err = Files.createTempFile("isula-rt-", ".err");
    WrittenTars written =
        WrittenTars.before(
            stdout == null ? List.of(args) : withStdout(args, stdout), cwd.toAbsolutePath());
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
      pb.redirectInput(
          stdin == null
              ? ProcessBuilder.Redirect.from(new File("/dev/null"))
              : ProcessBuilder.Redirect.from(stdin.toFile()));
      pb.redirectOutput(stdout != null ? stdout.toFile() : out.toFile());
      pb.redirectError(err.toFile());
      pb.environment().remove("SOURCE_DATE_EPOCH");
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        fail("isula " + String.join(" ", args) + " timed out");
      }
      if (p.exitValue() == 0) {
        written.check();
      }
      return new Run(
          List.of(args),
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static List<String> withStdout(String[] args, Path stdout) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.add(stdout.toAbsolutePath().toString());
    return all;
  }

  /** The test class path (surefire sets java.class.path to it in the forked JVM). */
  private static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }
}
