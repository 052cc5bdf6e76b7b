package dev.isula.toolkit.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * An output file that appears under its final name only when complete: bytes go to a hidden
 * temporary file in the same directory, which {@link #commit()} syncs and renames over the target.
 * Closing without committing deletes the temporary file, so a failure (or Ctrl-C, via a shutdown
 * hook) never leaves a half-written result behind.
 */
public final class AtomicOutputFile implements AutoCloseable {
  private final Path target;
  private final Path temp;
  private final FileChannel channel;
  private OutputStream stream;
  private final Thread cleanup;
  private boolean committed;
  private boolean closed;

  private AtomicOutputFile(Path target) throws IOException {
    this.target = target.toAbsolutePath();
    Path dir = this.target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new java.nio.file.NoSuchFileException(
          String.valueOf(dir), null, "output directory does not exist");
    }
    // not createTempFile: that makes the file 0600, and the result should get the usual
    // permissions (0666 less the umask), as any other new file would
    this.temp = partialName(this.target);
    this.channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    this.stream = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20);
    Path t = temp;
    this.cleanup =
        new Thread(
            () -> {
              try {
                Files.deleteIfExists(t);
              } catch (IOException ignored) {
                // best effort on the way out
              }
            });
    Runtime.getRuntime().addShutdownHook(cleanup);
  }

  private static Path partialName(Path target) {
    String random = Long.toUnsignedString(new java.security.SecureRandom().nextLong(), 36);
    return target.resolveSibling("." + target.getFileName() + "." + random + ".partial");
  }

  /** Starts writing a new version of {@code target}. */
  public static AtomicOutputFile create(Path target) throws IOException {
    if (Files.isDirectory(target)) {
      throw new java.nio.file.FileAlreadyExistsException(target.toString(), null, "is a directory");
    }
    return new AtomicOutputFile(target);
  }

  /**
   * A buffered stream into the temporary file; do not close it, close this instead. It keeps
   * working after {@link #rewind()}, writing from the start again.
   */
  public OutputStream stream() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        stream.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        stream.write(b, off, len);
      }

      @Override
      public void flush() throws IOException {
        stream.flush();
      }

      @Override
      public void close() throws IOException {
        stream.flush();
      }
    };
  }

  /** Throws away everything written so far (buffered bytes too): the file is empty again. */
  public void rewind() throws IOException {
    stream = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20);
    channel.truncate(0);
    channel.position(0);
  }

  /**
   * Overwrites {@code bytes} at {@code position} of what was written so far (buffered bytes are
   * written first); later writes still go to the end.
   */
  public void patch(long position, byte[] bytes) throws IOException {
    stream.flush();
    if (position < 0 || position + bytes.length > channel.size()) {
      throw new IOException("patch outside what was written to " + temp);
    }
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
    long at = position;
    while (b.hasRemaining()) {
      at += channel.write(b, at);
    }
  }

  public Path target() {
    return target;
  }

  /** Flushes, fsyncs and renames into place. */
  public void commit() throws IOException {
    stream.flush();
    channel.force(true);
    stream.close();
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    committed = true;
    closed = true;
    removeHook();
  }

  /** Discards the temporary file unless {@link #commit()} succeeded. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      channel.close();
    } finally {
      if (!committed) {
        Files.deleteIfExists(temp);
      }
      removeHook();
    }
  }

  private void removeHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException ignored) {
      // already shutting down; the hook will run
    }
  }
}
