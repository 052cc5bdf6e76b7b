package dev.isula.toolkit.cli;

import dev.isula.toolkit.io.TempFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * An image reference where {@code -} means an archive on standard input, as {@code docker load}
 * reads it. Archive readers need random access, so standard input is first copied to a temporary
 * file, removed again on close.
 */
final class SpooledInput implements AutoCloseable {
  private final String reference;
  private final Path file;

  private SpooledInput(String reference, Path file) {
    this.reference = reference;
    this.file = file;
  }

  static SpooledInput of(String reference, String task) throws IOException {
    if (!reference.equals("-")) {
      return new SpooledInput(reference, null);
    }
    // named so that errors about it read "…/standard-input: …"
    Path dir = Files.createTempDirectory(TempFiles.directory(), "isula-" + task + "-");
    Path f = dir.resolve("standard-input");
    try (InputStream in = System.in) {
      Files.copy(in, f, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(f);
      Files.deleteIfExists(dir);
      throw e;
    }
    return new SpooledInput(f.toString(), f);
  }

  /** What to open: the reference as given, or the copy of standard input. */
  String reference() {
    return reference;
  }

  @Override
  public void close() throws IOException {
    if (file != null) {
      Files.deleteIfExists(file);
      Files.deleteIfExists(file.getParent());
    }
  }
}
