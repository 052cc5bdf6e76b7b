package dev.isula.toolkit.hash;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Hashes and counts bytes on their way to the wrapped stream: a descriptor for free. */
public final class DigestingOutputStream extends FilterOutputStream {
  private final MessageDigest hasher = Digest.newSha256();
  private long count;
  private Digest result;

  public DigestingOutputStream(OutputStream out) {
    super(out);
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    hasher.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    hasher.update(b, off, len);
    count += len;
  }

  /**
   * Digest of everything written; call it once writing is done. Later calls return the same value.
   */
  public Digest digest() {
    if (result == null) {
      result = Digest.fromHash("sha256", hasher.digest());
    }
    return result;
  }

  public long count() {
    return count;
  }
}
