package dev.isula.toolkit.tar;

import java.io.IOException;
import java.io.OutputStream;

/** An {@link OutputStream} view of the current entry of a {@link TarWriter}; closing is a no-op. */
public final class TarContentStream extends OutputStream {
  private final TarWriter writer;

  public TarContentStream(TarWriter writer) {
    this.writer = writer;
  }

  @Override
  public void write(int b) throws IOException {
    writer.write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    writer.write(b, off, len);
  }
}
