package dev.isula.golden.hostile;

import dev.isula.golden.WrittenTars;
import dev.isula.toolkit.cli.IsulaCli;
import dev.isula.toolkit.store.ImageStores;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * Runs the {@code isula} command line for the hostile corpus and the fault tests, recording which
 * exception (if any) ended the run: in this JVM, or in a child JVM with its own heap limit,
 * environment and scratch directory (bounded cases, kill -9 tests).
 */
final class HostileCli {
  private HostileCli() {}

  /**
   * One finished run.
   *
   * @param exception class name of the exception reported, or null
   */
  record Run(List<String> args, int exitCode, String out, String err, String exception) {
    List<String> errLines() {
      return err.lines().toList();
    }

    @Override
    public String toString() {
      return "isula "
          + String.join(" ", args)
          + "\nexit "
          + exitCode
          + (exception == null ? "" : " (" + exception + ")")
          + "\n--- stdout:\n"
          + out
          + "--- stderr:\n"
          + err;
    }
  }

  /** A command line whose execution-exception handler also records the exception. */
  static CommandLine recording(String[] caught) {
    CommandLine cl = IsulaCli.commandLine();
    CommandLine.IExecutionExceptionHandler real = cl.getExecutionExceptionHandler();
    cl.setExecutionExceptionHandler(
        (ex, c, parseResult) -> {
          Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
          caught[0] = t.getClass().getName();
          return real.handleExecutionException(ex, c, parseResult);
        });
    return cl;
  }

  /**
   * {@code isula ARGS...} in this JVM, with scratch files going to {@code scratch} (TempFiles falls
   * back to java.io.tmpdir when $TMPDIR is unset). The store root and tmpdir properties are
   * restored afterwards.
   */
  static Run inProcess(List<String> args, Path scratch) {
    String[] caught = new String[1];
    CommandLine cl = recording(caught);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    String tmpdir = System.getProperty("java.io.tmpdir");
    String root = System.getProperty(ImageStores.ROOT_PROPERTY);
    if (scratch != null) {
      System.setProperty("java.io.tmpdir", scratch.toString());
    }
    WrittenTars written = WrittenTars.before(args, Path.of("").toAbsolutePath());
    int code;
    try {
      code = cl.execute(args.toArray(String[]::new));
      if (code == 0) {
        written.check();
      }
    } finally {
      System.setProperty("java.io.tmpdir", tmpdir);
      if (root == null) {
        System.clearProperty(ImageStores.ROOT_PROPERTY);
      } else {
        System.setProperty(ImageStores.ROOT_PROPERTY, root);
      }
    }
    return new Run(args, code, out.toString(), err.toString(), caught[0]);
  }

  /** Whether $TMPDIR is set, which overrides java.io.tmpdir for scratch files in this JVM. */
  static boolean tmpdirFromEnvironment() {
    String t = System.getenv("TMPDIR");
    return t != null && !t.isBlank();
  }

  /** A child JVM running {@link TypedCli}; not started yet. */
  static ProcessBuilder child(
      List<String> jvmOptions, List<String> args, Path scratch, Map<String, String> env, Path dir)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-Djava.io.tmpdir=" + scratch);
    cmd.add("-cp");
    cmd.add(classPath());
    cmd.add(TypedCli.class.getName());
    cmd.add(dir.resolve("exception.txt").toString());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectOutput(dir.resolve("stdout.txt").toFile());
    pb.redirectError(dir.resolve("stderr.txt").toFile());
    pb.environment().remove("SOURCE_DATE_EPOCH");
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().put("TMPDIR", scratch.toString());
    pb.environment().putAll(env);
    return pb;
  }

  /**
   * Runs a child JVM to its end (the caller bounds the time: an interrupt kills the child).
   *
   * @param dir where its stdout, stderr and exception file go (not inside any checked tree)
   */
  static Run subprocess(
      List<String> jvmOptions, List<String> args, Path scratch, Map<String, String> env, Path dir)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Process p = child(jvmOptions, args, scratch, env, dir).start();
    try {
      p.waitFor();
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
    return finished(args, p.exitValue(), dir);
  }

  /** The run of a child that has ended, from the files in {@code dir}. */
  static Run finished(List<String> args, int exit, Path dir) throws IOException {
    Path ex = dir.resolve("exception.txt");
    return new Run(
        args,
        exit,
        Files.readString(dir.resolve("stdout.txt"), StandardCharsets.UTF_8),
        Files.readString(dir.resolve("stderr.txt"), StandardCharsets.UTF_8),
        Files.exists(ex) ? Files.readString(ex).strip() : null);
  }

  /** The test class path (surefire sets java.class.path to it in the forked JVM). */
  static String classPath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }
}
