package dev.isula.toolkit.hash;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Hashes and counts bytes on their way to the wrapped stream: a descriptor for free. */
public final class DigestingOutputStream extends FilterOutputStream {
  private final MessageDigest hasher;
  private long count;
  private Digest result;

  public DigestingOutputStream(OutputStream out) {
    this(out, true);
  }

  private DigestingOutputStream(OutputStream out, boolean hash) {
    super(out);
    this.hasher = hash ? Digest.newSha256() : null;
  }

  /** Counts without hashing (when the digest is known some other way); no {@link #digest()}. */
  public static DigestingOutputStream countingOnly(OutputStream out) {
    return new DigestingOutputStream(out, false);
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    if (hasher != null) {
      hasher.update((byte) b);
    }
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    if (hasher != null) {
      hasher.update(b, off, len);
    }
    count += len;
  }

  /**
   * Digest of everything written; call it once writing is done. Later calls return the same value.
   *
   * @throws IllegalStateException for a {@link #countingOnly} stream
   */
  public Digest digest() {
    if (hasher == null) {
      throw new IllegalStateException("a counting-only stream has no digest");
    }
    if (result == null) {
      result = Digest.fromHash("sha256", hasher.digest());
    }
    return result;
  }

  public long count() {
    return count;
  }
}
