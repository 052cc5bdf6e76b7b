package dev.isula.toolkit.blob;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * A byte range of a local file: a blob inside a tar archive, or a whole blob file. Knowing the
 * range lets readers use positional reads (several threads at once, no seeking). Copies still go
 * through the JVM rather than {@code FileChannel.transferTo}: every blob copied is hashed on the
 * way (its digest verified), so its bytes have to be read anyway.
 */
public record FileRange(Path file, long offset, long length) {
  public FileRange {
    Objects.requireNonNull(file, "file");
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("bad range " + offset + "+" + length);
    }
  }

  /** Opens a stream over the range with its own channel; close it when done. */
  public InputStream open() throws IOException {
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    return new RangeInputStream(ch, offset, length, true);
  }

  /** A sub-range, relative to this range's start. */
  public FileRange slice(long relOffset, long len) {
    if (relOffset < 0 || len < 0 || relOffset + len > length) {
      throw new IllegalArgumentException("slice outside range");
    }
    return new FileRange(file, offset + relOffset, len);
  }

  /** Positional reads from a shared channel; safe to use from several threads at once. */
  public static final class RangeInputStream extends InputStream {
    private final FileChannel channel;
    private final boolean ownsChannel;
    private final long end;
    private long pos;

    public RangeInputStream(FileChannel channel, long offset, long length, boolean ownsChannel) {
      this.channel = channel;
      this.pos = offset;
      this.end = offset + length;
      this.ownsChannel = ownsChannel;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (pos >= end) {
        return -1;
      }
      int want = (int) Math.min(len, end - pos);
      int n = channel.read(ByteBuffer.wrap(b, off, want), pos);
      if (n < 0) {
        throw new java.io.EOFException("file shorter than expected");
      }
      pos += n;
      return n;
    }

    @Override
    public long skip(long n) {
      long s = Math.max(0, Math.min(n, end - pos));
      pos += s;
      return s;
    }

    @Override
    public int available() {
      return (int) Math.min(Integer.MAX_VALUE, end - pos);
    }

    @Override
    public void close() throws IOException {
      if (ownsChannel) {
        channel.close();
      }
    }
  }
}
