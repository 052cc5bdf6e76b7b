package dev.isula.toolkit.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Scratch files for spooling. They go to {@code $TMPDIR} (falling back to {@code java.io.tmpdir}),
 * so users can point them at tmpfs or a larger disk the way they do for other tools.
 */
public final class TempFiles {
  private TempFiles() {}

  /** The directory scratch files are created in. */
  public static Path directory() {
    String tmp = System.getenv("TMPDIR");
    if (tmp != null && !tmp.isBlank() && Files.isDirectory(Path.of(tmp))) {
      return Path.of(tmp);
    }
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  /** Creates an empty scratch file; the caller deletes it. */
  public static Path create(String prefix, String suffix) throws IOException {
    return Files.createTempFile(directory(), "isula-" + prefix + "-", suffix);
  }
}
