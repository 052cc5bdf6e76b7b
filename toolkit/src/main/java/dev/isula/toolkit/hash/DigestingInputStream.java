package dev.isula.toolkit.hash;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes and counts the bytes as they are read, so content is verified in the same pass that
 * consumes it. {@link #digest()} is valid once the stream has been read to its end.
 */
public final class DigestingInputStream extends FilterInputStream {
  private final MessageDigest hasher;
  private final String algorithm;
  private long count;
  private Digest result;
  private byte[] skipBuffer; // reused: a tar reader skips once per entry

  public DigestingInputStream(InputStream in) {
    this(in, "sha256");
  }

  public DigestingInputStream(InputStream in, String algorithm) {
    super(in);
    this.algorithm = algorithm;
    this.hasher = Digest.newMessageDigest(algorithm);
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      hasher.update((byte) b);
      count++;
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = in.read(buf, off, len);
    if (n > 0) {
      hasher.update(buf, off, n);
      count += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    if (n <= 0) {
      return 0;
    }
    if (skipBuffer == null) {
      skipBuffer = new byte[64 * 1024];
    }
    byte[] buf = skipBuffer;
    long skipped = 0;
    while (skipped < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - skipped));
      if (r < 0) {
        break;
      }
      skipped += r;
    }
    return skipped;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  /** Reads and hashes whatever is left, returning the number of bytes drained. */
  public long drain() throws IOException {
    byte[] buf = new byte[256 * 1024];
    long total = 0;
    int n;
    while ((n = read(buf, 0, buf.length)) >= 0) {
      total += n;
    }
    return total;
  }

  /**
   * Digest of everything read; call it once the stream is consumed. Later calls return the same
   * value (reading on after that is an error).
   */
  public Digest digest() {
    if (result == null) {
      result = Digest.fromHash(algorithm, hasher.digest());
    }
    return result;
  }

  public long count() {
    return count;
  }
}
