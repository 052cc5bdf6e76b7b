package dev.isula.toolkit.io;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * Names the file an output stream writes to in the errors it raises: the JDK reports a full disk as
 * a bare "No space left on device", which does not say where. Errors that already name a file pass
 * unchanged.
 */
public final class NamedOutputStream extends FilterOutputStream {
  private final String name;

  private NamedOutputStream(OutputStream out, String name) {
    super(out);
    this.name = name;
  }

  /** {@code out}, whose write errors name {@code file}. */
  public static OutputStream of(OutputStream out, Path file) {
    return new NamedOutputStream(out, file.toString());
  }

  /** The error to raise for a failure writing {@code file}. */
  public static IOException named(IOException e, Path file) {
    if (e instanceof FileSystemException) {
      return e;
    }
    FileSystemException named =
        new FileSystemException(
            file.toString(), null, e.getMessage() == null ? e.toString() : e.getMessage());
    named.initCause(e);
    return named;
  }

  @Override
  public void write(int b) throws IOException {
    try {
      out.write(b);
    } catch (IOException e) {
      throw named(e, Path.of(name));
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    try {
      out.write(b, off, len);
    } catch (IOException e) {
      throw named(e, Path.of(name));
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      throw named(e, Path.of(name));
    }
  }

  @Override
  public void close() throws IOException {
    try {
      out.close();
    } catch (IOException e) {
      throw named(e, Path.of(name));
    }
  }
}
