package dev.isula.toolkit.compress;

import java.io.IOException;
import java.util.Locale;

/**
 * Chooses the gzip deflater. Unlike inflating, deflating does not have one right output: zlib and
 * libdeflate write different (equally valid) bytes for the same input. So the choice is never made
 * by what happens to be installed: it is {@code zlib} unless the user names {@code libdeflate}, and
 * naming it where it cannot run is an error, not a quiet fallback. The same input, level and choice
 * give the same bytes on every machine with the same library version, whatever the thread count.
 *
 * <ul>
 *   <li>{@code zlib} (the default): {@code java.util.zip}, pigz-style 128 KiB blocks that form one
 *       gzip member;
 *   <li>{@code libdeflate}: {@code libdeflate.so.0} through the FFM API (Java 22 or newer), each 1
 *       MiB block a gzip member of its own (RFC 1952 allows any number of members; gzip, zlib's
 *       gunzip, Go and Java read them all). About three times as fast as zlib and 1-2 % smaller.
 * </ul>
 *
 * <p>{@value #PROPERTY} (system property) or {@value #ENV} (environment) names the choice.
 */
public final class GzipEncoders {
  public static final String PROPERTY = "isula.toolkit.deflate";
  public static final String ENV = "ISULA_DEFLATE";

  /** The class in the Java 22 section of the jar; absent on the Java 17 class path. */
  private static final String NATIVE_CLASS = "dev.isula.toolkit.compress.LibdeflateGzipEncoder";

  /** Compresses one block into one complete gzip member; implemented by the native encoder. */
  interface MemberEncoder {
    String name();

    /** {@code data[0, n)} as one gzip member (mtime 0, deterministic header) at {@code level}. */
    byte[] member(byte[] data, int n, int level) throws IOException;
  }

  /** The native encoder, or why there is none. */
  private static final Java22Codec<MemberEncoder> NATIVE =
      new Java22Codec<>(NATIVE_CLASS, MemberEncoder.class);

  private GzipEncoders() {}

  /** The choice in effect: {@code zlib} or {@code libdeflate}. */
  public static String choice() throws IOException {
    String c = System.getProperty(PROPERTY);
    if (c == null || c.isBlank()) {
      c = System.getenv(ENV);
    }
    c = c == null || c.isBlank() ? "zlib" : c.trim().toLowerCase(Locale.ROOT);
    if (!c.equals("zlib") && !c.equals("libdeflate")) {
      throw new IOException(ENV + "='" + c + "' is not one of zlib, libdeflate");
    }
    return c;
  }

  /** The libdeflate encoder, or an error that says why it cannot run here. */
  static MemberEncoder libdeflate() throws IOException {
    Object n = NATIVE.get();
    if (n instanceof MemberEncoder e) {
      return e;
    }
    throw new IOException(
        "gzip with libdeflate was asked for ("
            + ENV
            + "=libdeflate), but it cannot be used: "
            + n
            + "; unset "
            + ENV
            + " for zlib");
  }

  /** A line for {@code isula --version --verbose}. */
  public static String describe() {
    String c;
    try {
      c = choice();
    } catch (IOException e) {
      return e.getMessage();
    }
    Object n = NATIVE.get();
    String available =
        n instanceof MemberEncoder e ? e.name() + " available" : "libdeflate not usable: " + n;
    if (c.equals("libdeflate")) {
      return n instanceof MemberEncoder e
          ? e.name()
              + ", 1 MiB blocks as gzip members on up to "
              + Runtime.getRuntime().availableProcessors()
              + " threads (chosen by "
              + ENV
              + ")"
          : ENV + "=libdeflate, but " + available;
    }
    return ParallelGzipOutputStream.describeZlib()
        + " ("
        + available
        + "; "
        + ENV
        + "=libdeflate chooses it)";
  }
}
