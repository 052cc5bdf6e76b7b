package dev.isula.toolkit.cli;

import java.io.PrintWriter;
import java.util.function.Consumer;

/** Progress lines on stderr; with -q only warnings get through. */
final class Progress {
  private Progress() {}

  /**
   * Progress lines for work that also shows a {@link ProgressDisplay}: on a terminal the bar says
   * it all, so only warnings are printed there; to a pipe or file every line goes.
   */
  static Consumer<String> lines(PrintWriter err, boolean quiet) {
    return to(err, quiet || ProgressDisplay.stderrIsTerminal());
  }

  static Consumer<String> to(PrintWriter err, boolean quiet) {
    return line -> {
      if (quiet && !line.startsWith("warning:")) {
        return;
      }
      synchronized (err) {
        err.println(line);
        err.flush();
      }
    };
  }
}
