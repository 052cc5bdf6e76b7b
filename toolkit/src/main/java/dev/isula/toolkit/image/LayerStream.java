package dev.isula.toolkit.image;

import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.DigestingInputStream;
import dev.isula.toolkit.io.ReadAheadInputStream;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A layer's uncompressed tar, hashed twice while it is read: the blob bytes against the layer
 * digest and the tar bytes against the DiffID. Compression is sniffed from the bytes. Call {@link
 * #verify()} after the tar has been consumed; it drains what is left and fails on any mismatch, so
 * nothing read from a bad layer can be mistaken for good output.
 *
 * <p>Read errors of the layer itself are reported as {@link LayerReadException}, so callers can
 * tell a broken input from a failing output.
 */
public final class LayerStream extends InputStream {
  private final Layer layer;
  private final InputStream raw;
  private final DigestingInputStream blobHash;
  private final DigestingInputStream tarHash;
  private final InputStream decompressed;
  private final Compression compression;

  LayerStream(Layer layer, boolean readAhead) throws IOException {
    this.layer = layer;
    this.raw = layer.source().open();
    try {
      this.blobHash =
          new DigestingInputStream(
              raw, layer.digest() == null ? "sha256" : layer.digest().algorithm());
      BufferedInputStream buffered = new BufferedInputStream(blobHash, 256 * 1024);
      this.compression = Compression.detect(buffered);
      InputStream d = compression.open(buffered);
      this.decompressed = readAhead ? new ReadAheadInputStream(d, layer.describe()) : d;
      this.tarHash = new DigestingInputStream(decompressed, layer.diffId().algorithm());
    } catch (IOException e) {
      raw.close();
      throw new LayerReadException(layer.describe() + ": " + message(e), e);
    }
  }

  /** The compression found by sniffing the blob. */
  public Compression compression() {
    return compression;
  }

  public Layer layer() {
    return layer;
  }

  @Override
  public int read() throws IOException {
    try {
      return tarHash.read();
    } catch (LayerReadException e) {
      throw e;
    } catch (IOException e) {
      throw new LayerReadException(layer.describe() + ": " + message(e), e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return tarHash.read(b, off, len);
    } catch (LayerReadException e) {
      throw e;
    } catch (IOException e) {
      throw new LayerReadException(layer.describe() + ": " + message(e), e);
    }
  }

  @Override
  public long skip(long n) throws IOException {
    try {
      return tarHash.skip(n);
    } catch (LayerReadException e) {
      throw e;
    } catch (IOException e) {
      throw new LayerReadException(layer.describe() + ": " + message(e), e);
    }
  }

  /**
   * Drains the rest of the layer and checks size, blob digest and DiffID.
   *
   * @throws DigestMismatchException if either digest differs
   * @throws InvalidImageException if the blob size differs or the data is corrupt
   */
  public void verify() throws IOException, InvalidImageException {
    try {
      tarHash.drain();
      if (!tarHash.digest().equals(layer.diffId())) {
        throw new DigestMismatchException(
            layer.describe() + " (DiffID of the uncompressed tar)",
            layer.diffId(),
            tarHash.digest());
      }
      blobHash.drain();
    } catch (LayerReadException e) {
      throw new InvalidImageException(e.getMessage(), e);
    } catch (IOException e) {
      throw new InvalidImageException(layer.describe() + ": " + message(e), e);
    }
    if (layer.size() >= 0 && blobHash.count() != layer.size()) {
      throw new InvalidImageException(
          layer.describe()
              + ": blob is "
              + blobHash.count()
              + " bytes, its descriptor says "
              + layer.size());
    }
    if (layer.digest() != null && !blobHash.digest().equals(layer.digest())) {
      throw new DigestMismatchException(layer.describe(), layer.digest(), blobHash.digest());
    }
  }

  @Override
  public void close() throws IOException {
    try {
      decompressed.close();
    } finally {
      raw.close();
    }
  }

  private static String message(IOException e) {
    if (e instanceof EOFException) {
      return "truncated ("
          + (e.getMessage() == null ? "unexpected end of data" : e.getMessage())
          + ")";
    }
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  /** An I/O failure reading a layer (corrupt compression, truncation), not writing output. */
  public static final class LayerReadException extends IOException {
    private static final long serialVersionUID = 1L;

    public LayerReadException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
