package dev.isula.toolkit.image;

import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.DigestingInputStream;
import dev.isula.toolkit.io.ExpansionLimit;
import dev.isula.toolkit.io.ReadAheadInputStream;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A layer's uncompressed tar, hashed while it is read: the blob bytes against the layer digest and
 * the tar bytes against the DiffID (once, when the blob is the uncompressed tar itself).
 * Compression is sniffed from the bytes. Call {@link #verify()} after the tar has been consumed; it
 * drains what is left and fails on any mismatch, so nothing read from a bad layer can be mistaken
 * for good output.
 *
 * <p>Read errors of the layer itself are reported as {@link LayerReadException}, so callers can
 * tell a broken input from a failing output.
 */
public final class LayerStream extends InputStream {
  private final Layer layer;
  private final InputStream raw;

  /** Hash of the stored bytes; null when they are the tar itself (then {@link #tarHash} serves). */
  private final DigestingInputStream blobHash;

  /** With read-ahead: the compressed bytes, read and hashed on a thread of their own. */
  private final ReadAheadInputStream blobAhead;

  private final DigestingInputStream tarHash;
  private final InputStream decompressed;
  private final InputStream top;
  private final Compression compression;

  LayerStream(Layer layer, boolean readAhead) throws IOException {
    this(layer, readAhead ? 0 : -1, false);
  }

  /**
   * With read-ahead, for a reader that only copies the bytes on: the decompressing thread only
   * decompresses, and the DiffID is hashed on the reader's thread, which has time to spare.
   */
  static LayerStream forCopy(Layer layer) throws IOException {
    return new LayerStream(layer, 0, true);
  }

  /**
   * Opens {@code layer} decompressing on a second thread that may run up to {@code maxAhead} bytes
   * ahead of the reader: started early, it decompresses while the caller does other work.
   */
  public static LayerStream openReadAhead(Layer layer, long maxAhead) throws IOException {
    return new LayerStream(layer, Math.max(0, maxAhead), false);
  }

  /** {@code readAhead}: -1 none, 0 the default depth, else bytes. */
  private LayerStream(Layer layer, long readAhead, boolean hashOnReader) throws IOException {
    this.layer = layer;
    this.raw = layer.source().open();
    try {
      BufferedInputStream buffered = new BufferedInputStream(raw, 256 * 1024);
      this.compression = Compression.detect(buffered);
      String blobAlgorithm = layer.digest() == null ? "sha256" : layer.digest().algorithm();
      if (compression == Compression.NONE && blobAlgorithm.equals(layer.diffId().algorithm())) {
        // An uncompressed blob is its tar: one hash gives both the digest and the DiffID. With
        // read-ahead it runs on the reading thread, which has little else to do.
        this.blobHash = null;
        this.blobAhead = null;
        this.tarHash = new DigestingInputStream(buffered, blobAlgorithm);
        this.decompressed = readAhead(tarHash, readAhead);
        this.top = decompressed;
      } else {
        this.blobHash = new DigestingInputStream(buffered, blobAlgorithm);
        // With read-ahead the blob is read and hashed on one thread and decompressed on another:
        // decompression, usually the bottleneck, gets a core to itself.
        this.blobAhead =
            readAhead >= 0 ? new ReadAheadInputStream(blobHash, layer.describe() + " blob") : null;
        InputStream compressed = blobAhead != null ? blobAhead : blobHash;
        InputStream d = ExpansionLimit.open(compression, compressed, null);
        if (hashOnReader && readAhead >= 0) {
          this.decompressed = readAhead(d, readAhead);
          this.tarHash = new DigestingInputStream(decompressed, layer.diffId().algorithm());
          this.top = tarHash;
        } else {
          // The DiffID is hashed where the tar is decompressed: with read-ahead that thread has
          // time to spare (ISA-L inflates faster than the reader parses and writes), the reader
          // none.
          this.tarHash = new DigestingInputStream(d, layer.diffId().algorithm());
          this.decompressed = readAhead(tarHash, readAhead);
          this.top = decompressed;
        }
      }
    } catch (IOException e) {
      raw.close();
      throw new LayerReadException(layer.describe() + ": " + message(e), e);
    }
  }

  private InputStream readAhead(InputStream in, long bytes) {
    if (bytes < 0) {
      return in;
    }
    return bytes == 0
        ? new ReadAheadInputStream(in, layer.describe())
        : new ReadAheadInputStream(in, layer.describe(), bytes);
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
      return top.read();
    } catch (LayerReadException e) {
      throw e;
    } catch (IOException e) {
      throw new LayerReadException(layer.describe() + ": " + message(e), e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      return top.read(b, off, len);
    } catch (LayerReadException e) {
      throw e;
    } catch (IOException e) {
      throw new LayerReadException(layer.describe() + ": " + message(e), e);
    }
  }

  @Override
  public long skip(long n) throws IOException {
    try {
      return top.skip(n);
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
      byte[] buf = new byte[256 * 1024];
      while (top.read(buf, 0, buf.length) >= 0) {
        // drain: the digests cover every byte
      }
      if (!tarHash.digest().equals(layer.diffId())) {
        throw new DigestMismatchException(
            layer.describe() + " (DiffID of the uncompressed tar)",
            layer.diffId(),
            tarHash.digest());
      }
      if (blobAhead != null) {
        while (blobAhead.read(buf, 0, buf.length) >= 0) {
          // the rest of the blob (trailing bytes after the compressed stream) is hashed too
        }
      } else if (blobHash != null) {
        blobHash.drain();
      }
    } catch (LayerReadException e) {
      throw new InvalidImageException(e.getMessage(), e);
    } catch (IOException e) {
      throw new InvalidImageException(layer.describe() + ": " + message(e), e);
    }
    DigestingInputStream blob = blobHash != null ? blobHash : tarHash;
    if (layer.size() >= 0 && blob.count() != layer.size()) {
      throw new InvalidImageException(
          layer.describe()
              + ": blob is "
              + blob.count()
              + " bytes, its descriptor says "
              + layer.size());
    }
    if (layer.digest() != null && !blob.digest().equals(layer.digest())) {
      throw new DigestMismatchException(layer.describe(), layer.digest(), blob.digest());
    }
  }

  @Override
  public void close() throws IOException {
    try {
      decompressed.close();
    } finally {
      try {
        if (blobAhead != null) {
          blobAhead.close();
        }
      } finally {
        raw.close();
      }
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
