package dev.isula.toolkit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Facts about the process's standard streams that the JDK does not expose directly. */
final class StandardStreams {
  private StandardStreams() {}

  /** True when file descriptor 1 is a terminal (Linux: /proc/self/fd/1 points at a tty). */
  static boolean stdoutIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
