package dev.isula.toolkit.api;

import dev.isula.toolkit.hash.Digest;

/** Content did not hash to the digest its descriptor promised; the content must not be used. */
public final class DigestMismatchException extends InvalidImageException {
  private static final long serialVersionUID = 1L;

  private final Digest expected;
  private final Digest actual;

  public DigestMismatchException(String what, Digest expected, Digest actual) {
    super(what + ": digest mismatch: expected " + expected + ", got " + actual);
    this.expected = expected;
    this.actual = actual;
  }

  public Digest expected() {
    return expected;
  }

  public Digest actual() {
    return actual;
  }
}
