package dev.isula.toolkit.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/** Tells a {@link LongConsumer} how many bytes each read or skip consumed (for progress). */
public final class CountingInputStream extends FilterInputStream {
  private final LongConsumer consumed;

  public CountingInputStream(InputStream in, LongConsumer consumed) {
    super(in);
    this.consumed = consumed;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      consumed.accept(1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      consumed.accept(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long s = in.skip(n);
    if (s > 0) {
      consumed.accept(s);
    }
    return s;
  }
}
