package dev.isula.toolkit.hash;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:e3b0...}. Only the algorithms of the OCI image-spec are
 * accepted and the encoded part is validated strictly (lowercase hex of the right length), so a
 * digest read from untrusted JSON can safely become a file name.
 */
public final class Digest implements Comparable<Digest> {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern SHA512 = Pattern.compile("[0-9a-f]{128}");

  private final String algorithm;
  private final String hex;

  private Digest(String algorithm, String hex) {
    this.algorithm = algorithm;
    this.hex = hex;
  }

  /**
   * Parses {@code algorithm:hex}.
   *
   * @throws IllegalArgumentException if the text is not a valid sha256 or sha512 digest
   */
  public static Digest parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("missing digest");
    }
    int colon = text.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("invalid digest '" + abbreviate(text) + "'");
    }
    String algorithm = text.substring(0, colon);
    String hex = text.substring(colon + 1);
    return of(algorithm, hex);
  }

  /** Returns the digest if {@code text} is valid, else null; for probing file names. */
  public static Digest tryParse(String text) {
    try {
      return parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * A digest from its two parts.
   *
   * @throws IllegalArgumentException if the algorithm is unsupported or the hex is malformed
   */
  public static Digest of(String algorithm, String hex) {
    Pattern pattern =
        switch (algorithm) {
          case "sha256" -> SHA256;
          case "sha512" -> SHA512;
          default ->
              throw new IllegalArgumentException(
                  "unsupported digest algorithm '" + abbreviate(algorithm) + "'");
        };
    if (!pattern.matcher(hex).matches()) {
      throw new IllegalArgumentException(
          "invalid digest '" + abbreviate(algorithm + ":" + hex) + "'");
    }
    return new Digest(algorithm, hex);
  }

  /** Wraps a finished hash computed with {@link #newSha256()} or {@link #newHasher()}. */
  public static Digest fromHash(String algorithm, byte[] hash) {
    return of(algorithm, HexFormat.of().formatHex(hash));
  }

  /** sha256 of an in-memory byte array (JSON documents only; layers are always streamed). */
  public static Digest sha256(byte[] bytes) {
    return fromHash("sha256", newSha256().digest(bytes));
  }

  public static MessageDigest newSha256() {
    return newMessageDigest("sha256");
  }

  /** A fresh hasher for this digest's algorithm, used to verify content against it. */
  public MessageDigest newHasher() {
    return newMessageDigest(algorithm);
  }

  static MessageDigest newMessageDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.equals("sha512") ? "SHA-512" : "SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JDK lacks " + algorithm, e);
    }
  }

  public String algorithm() {
    return algorithm;
  }

  /** The encoded part: lowercase hex, safe to use as a file name. */
  public String hex() {
    return hex;
  }

  /** The first 12 hex characters, as docker shows image ids. */
  public String shortHex() {
    return hex.substring(0, 12);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest d && algorithm.equals(d.algorithm) && hex.equals(d.hex);
  }

  @Override
  public int hashCode() {
    return Objects.hash(algorithm, hex);
  }

  @Override
  public int compareTo(Digest o) {
    return toString().compareTo(o.toString());
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }

  private static String abbreviate(String s) {
    String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
    return printable.length() > 80 ? printable.substring(0, 77) + "..." : printable;
  }
}
