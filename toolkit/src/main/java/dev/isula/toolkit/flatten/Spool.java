package dev.isula.toolkit.flatten;

import dev.isula.toolkit.io.TempFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A scratch file holding file contents that the merge needs later than the moment they stream past
 * (upper layers, replaced files that a hardlink still refers to). Appends are sequential; reads are
 * positional, so several readers can share it.
 */
final class Spool implements ContentStore {
  private final Path file;
  private final FileChannel channel;
  private final OutputStream out;
  private long size;
  private byte[] buffer; // reused across appends

  Spool() throws IOException {
    this.file = TempFiles.create("spool", ".bin");
    this.channel =
        FileChannel.open(
            file,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE,
            StandardOpenOption.DELETE_ON_CLOSE);
    this.out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20);
  }

  /** Appends exactly {@code length} bytes from {@code in}; returns their offset. */
  long append(InputStream in, long length) throws IOException {
    long offset = size;
    if (buffer == null) {
      buffer = new byte[256 * 1024];
    }
    byte[] buf = buffer;
    long left = length;
    while (left > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (n < 0) {
        throw new java.io.EOFException("content ended early while spooling");
      }
      out.write(buf, 0, n);
      left -= n;
    }
    size += length;
    return offset;
  }

  @Override
  public InputStream open(long offset, long length) throws IOException {
    out.flush();
    return new dev.isula.toolkit.blob.FileRange.RangeInputStream(channel, offset, length, false);
  }

  long size() {
    return size;
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
