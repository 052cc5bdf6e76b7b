package dev.isula.toolkit.cli;

import java.io.PrintWriter;
import java.util.function.Consumer;

/** Progress lines on stderr; with -q only warnings get through. */
final class Progress {
  private Progress() {}

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
