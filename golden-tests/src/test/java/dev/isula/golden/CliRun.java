package dev.isula.golden;

import dev.isula.toolkit.cli.IsulaCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;

/**
 * One run of the {@code isula} command line, in process, with its output captured. The test
 * packages' own runners build on {@link #isula}.
 */
public record CliRun(int exitCode, String out, String err) {

  /**
   * Runs {@code isula ARGS...}. After a successful run, every tarball it wrote is listed by GNU tar
   * and bsdtar ({@link WrittenTars}); one they do not read cleanly fails the calling test.
   */
  public static CliRun isula(String... args) {
    WrittenTars written = WrittenTars.before(List.of(args), Path.of("").toAbsolutePath());
    CommandLine cl = IsulaCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    if (code == 0) {
      written.check();
    }
    return new CliRun(code, out.toString(), err.toString());
  }

  /** Runs {@code isula export -q [OPTIONS...] IMAGE OUTPUT}. */
  static CliRun export(List<String> options, String image, String output) {
    String[] args = new String[options.size() + 4];
    args[0] = "export";
    args[1] = "-q";
    for (int i = 0; i < options.size(); i++) {
      args[2 + i] = options.get(i);
    }
    args[args.length - 2] = image;
    args[args.length - 1] = output;
    return isula(args);
  }

  /** The lines written to stderr. */
  List<String> errLines() {
    return err.lines().toList();
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
  }
}
