package dev.isula.toolkit.io;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.compress.Compression;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Caps how much a compressed layer or archive may expand, so a decompression bomb (a few MiB of
 * gzip that inflate to many GiB) is refused instead of filling the disk or running for hours. Two
 * limits, both configurable:
 *
 * <ul>
 *   <li>total size: at most {@value #MAX_BYTES_ENV} bytes (system property {@value
 *       #MAX_BYTES_PROPERTY}; default 64 GiB) of decompressed data per stream;
 *   <li>ratio: beyond the first {@link #RATIO_GRACE_BYTES} (1 GiB) of decompressed data, at most
 *       {@value #MAX_RATIO_ENV} (system property {@value #MAX_RATIO_PROPERTY}; default 1000)
 *       decompressed bytes per compressed byte read so far. 0 turns the ratio check off.
 * </ul>
 *
 * Sizes take an optional suffix k, m, g or t (binary units). Going over a limit raises {@link
 * Exceeded}, an {@link IOException} whose cause is the {@link InvalidImageException} to report.
 */
public final class ExpansionLimit extends FilterInputStream {
  public static final String MAX_BYTES_PROPERTY = "isula.toolkit.maxLayerBytes";
  public static final String MAX_BYTES_ENV = "ISULA_MAX_LAYER_BYTES";
  public static final String MAX_RATIO_PROPERTY = "isula.toolkit.maxExpansionRatio";
  public static final String MAX_RATIO_ENV = "ISULA_MAX_EXPANSION_RATIO";
  public static final long DEFAULT_MAX_BYTES = 64L << 30;
  public static final long DEFAULT_MAX_RATIO = 1000;

  /** The ratio is checked only once this much has been decompressed. */
  public static final long RATIO_GRACE_BYTES = 1L << 30;

  private final LongSupplier compressed;
  private final String what;
  private final long maxBytes;
  private final long maxRatio;
  private long count;

  private ExpansionLimit(
      InputStream in, LongSupplier compressed, String what, long maxBytes, long maxRatio) {
    super(in);
    this.compressed = compressed;
    this.what = what;
    this.maxBytes = maxBytes;
    this.maxRatio = maxRatio;
  }

  /**
   * Limits {@code decompressed}, the output of {@code compression}; an uncompressed stream is
   * returned as it is (it cannot expand).
   *
   * @param compressedBytes how many compressed bytes have been consumed so far
   * @param what names the layer or file in the error, or null when the caller adds the name
   * @throws IOException if a limit is set to something that is not a size
   */
  public static InputStream wrap(
      Compression compression, InputStream decompressed, LongSupplier compressedBytes, String what)
      throws IOException {
    if (compression == Compression.NONE) {
      return decompressed;
    }
    return new ExpansionLimit(
        decompressed,
        compressedBytes,
        what,
        setting(MAX_BYTES_PROPERTY, MAX_BYTES_ENV, DEFAULT_MAX_BYTES),
        setting(MAX_RATIO_PROPERTY, MAX_RATIO_ENV, DEFAULT_MAX_RATIO));
  }

  /**
   * Decompresses {@code compressed} (known to be in {@code compression}) within the limits,
   * counting the compressed bytes as the decompressor consumes them.
   *
   * @param what names the layer or file in the error, or null when the caller adds the name
   */
  public static InputStream open(Compression compression, InputStream compressed, String what)
      throws IOException {
    if (compression == Compression.NONE) {
      return compressed;
    }
    Counting counted = new Counting(compressed);
    return wrap(compression, compression.open(counted), () -> counted.count, what);
  }

  /**
   * Sniffs the compression of {@code raw} and returns it decompressed and limited; the returned
   * stream owns {@code raw}.
   *
   * @param buffer read buffer size for the compressed bytes
   */
  public static InputStream decompress(InputStream raw, int buffer, String what)
      throws IOException {
    Counting counted = new Counting(raw);
    BufferedInputStream b = new BufferedInputStream(counted, buffer);
    Compression c = Compression.detect(b);
    return wrap(c, c.open(b), () -> counted.count, what);
  }

  /** The configured total-size limit in bytes. */
  public static long maxBytes() throws IOException {
    return setting(MAX_BYTES_PROPERTY, MAX_BYTES_ENV, DEFAULT_MAX_BYTES);
  }

  private static long setting(String property, String env, long dflt) throws IOException {
    String v = System.getProperty(property);
    String from = "-D" + property;
    if (v == null || v.isBlank()) {
      v = System.getenv(env);
      from = env;
    }
    if (v == null || v.isBlank()) {
      return dflt;
    }
    String s = v.trim().toLowerCase(Locale.ROOT);
    int shift = 0;
    char unit = s.charAt(s.length() - 1);
    switch (unit) {
      case 'k' -> shift = 10;
      case 'm' -> shift = 20;
      case 'g' -> shift = 30;
      case 't' -> shift = 40;
      default -> {}
    }
    if (shift > 0) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      long n = Long.parseLong(s);
      if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new IOException(
          from + "='" + v + "' is not a size (a number of bytes, optionally with k, m, g or t)");
    }
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      count(1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      count(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long s = in.skip(n);
    if (s > 0) {
      count(s);
    }
    return s;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  private void count(long n) throws Exceeded {
    count += n;
    if (maxBytes > 0 && count > maxBytes) {
      throw exceeded(
          "decompresses to more than "
              + size(maxBytes)
              + " (the limit; set "
              + MAX_BYTES_ENV
              + " to raise it)");
    }
    if (maxRatio > 0 && count > RATIO_GRACE_BYTES) {
      long c = Math.max(1, compressed.getAsLong());
      if (count / c >= maxRatio) {
        throw exceeded(
            "expands "
                + (count / c)
                + "-fold ("
                + size(c)
                + " to more than "
                + size(count)
                + "), over the limit of "
                + maxRatio
                + ": refusing a likely decompression bomb (set "
                + MAX_RATIO_ENV
                + "=0 to allow it)");
      }
    }
  }

  private Exceeded exceeded(String detail) {
    return new Exceeded(
        new InvalidImageException(what == null || what.isEmpty() ? detail : what + ": " + detail));
  }

  private static String size(long n) {
    if (n >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
    }
    if (n >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
    return n + " bytes";
  }

  private static final class Counting extends FilterInputStream {
    long count;

    Counting(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(n);
      if (s > 0) {
        count += s;
      }
      return s;
    }
  }

  /** A limit was exceeded; {@link #getCause()} is the error to report. */
  public static final class Exceeded extends IOException {
    private static final long serialVersionUID = 1L;

    Exceeded(InvalidImageException cause) {
      super(cause.getMessage(), cause);
    }

    /** The error to report to the user. */
    public InvalidImageException reason() {
      return (InvalidImageException) getCause();
    }
  }
}
