package dev.isula.toolkit.rootfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who this process runs as, read from /proc (the JDK has no portable getuid). */
final class ProcessIdentity {
  private ProcessIdentity() {}

  /** The effective uid, or -1 if unknown. */
  static long effectiveUid() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Uid:")) {
          String[] f = line.substring(4).trim().split("\\s+");
          return Long.parseLong(f[1]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc unavailable
    }
    return -1;
  }

  static boolean isRoot() {
    return effectiveUid() == 0;
  }
}
