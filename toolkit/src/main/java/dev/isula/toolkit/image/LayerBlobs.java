package dev.isula.toolkit.image;

import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.blob.TempBlob;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.hash.DigestingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Gets layers into the compression a destination stores. A blob already in that compression, with a
 * known digest, is copied as it is (so digests survive a conversion); anything else is decompressed
 * (verifying its DiffID) and re-compressed into a scratch file.
 */
public final class LayerBlobs {
  private LayerBlobs() {}

  /** A layer ready to be written: its bytes, digest, size and media type. */
  public static final class Prepared implements AutoCloseable {
    private final BlobSource source;
    private final Digest digest;
    private final long size;
    private final Compression compression;
    private final Layer layer;
    private final TempBlob temp;

    Prepared(
        BlobSource source, Digest digest, long size, Compression c, Layer layer, TempBlob temp) {
      this.source = source;
      this.digest = digest;
      this.size = size;
      this.compression = c;
      this.layer = layer;
      this.temp = temp;
    }

    public Digest digest() {
      return digest;
    }

    public long size() {
      return size;
    }

    public Compression compression() {
      return compression;
    }

    public Digest diffId() {
      return layer.diffId();
    }

    /** True if the stored bytes are the source's, unchanged. */
    public boolean asIs() {
      return temp == null;
    }

    /** The OCI media type for the stored compression. */
    public String ociMediaType() {
      return switch (compression) {
        case NONE -> MediaTypes.OCI_LAYER;
        case GZIP -> MediaTypes.OCI_LAYER_GZIP;
        case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
        default -> throw new IllegalStateException("no OCI media type for " + compression);
      };
    }

    /**
     * Copies the stored bytes to {@code out}. An as-is blob is verified against its digest (and,
     * uncompressed, its DiffID) while it is copied.
     */
    public void copyTo(OutputStream out) throws IOException, IsulaException {
      if (temp != null) {
        // our own scratch file, hashed while it was written: copy, checking only the size
        long n = 0;
        try (InputStream in = source.open()) {
          byte[] buf = new byte[1 << 20];
          int r;
          while ((r = in.read(buf, 0, buf.length)) >= 0) {
            out.write(buf, 0, r);
            n += r;
          }
        }
        if (n != size) {
          throw new IOException(
              layer.describe() + ": scratch blob is " + n + " bytes, expected " + size);
        }
        return;
      }
      try (InputStream raw = source.open()) {
        DigestingInputStream in = new DigestingInputStream(raw, digest.algorithm());
        byte[] buf = new byte[1 << 20];
        int r;
        while ((r = in.read(buf, 0, buf.length)) >= 0) {
          out.write(buf, 0, r);
        }
        if (in.count() != size) {
          throw new InvalidImageException(
              layer.describe() + ": blob is " + in.count() + " bytes, expected " + size);
        }
        if (!in.digest().equals(digest)) {
          throw new DigestMismatchException(layer.describe(), digest, in.digest());
        }
      }
    }

    @Override
    public void close() throws IOException {
      if (temp != null) {
        temp.close();
      }
    }
  }

  /**
   * Prepares {@code layer} for a destination storing {@code target} compression (null: whatever the
   * layer is stored in now).
   *
   * @throws InvalidImageException if the layer fails verification while being re-compressed
   */
  public static Prepared prepare(Layer layer, Compression target, int threads)
      throws IOException, IsulaException {
    byte[] head = layer.source().head(Compression.MAGIC_LENGTH);
    Compression stored = Compression.detect(head, head.length);
    if (target == null) {
      target = stored;
    }
    boolean known = layer.digest() != null || stored == Compression.NONE;
    if (stored == target && known && layer.size() >= 0) {
      Digest d = layer.digest() != null ? layer.digest() : layer.diffId();
      return new Prepared(layer.source(), d, layer.size(), stored, layer, null);
    }
    TempBlob temp;
    // decompression (and the blob digest) on a second thread; the DiffID is checked by verify()
    try (LayerStream s = layer.openVerifiedReadAhead()) {
      temp = TempBlob.compressVerified(s, layer.diffId(), target, threads);
      try {
        s.verify();
      } catch (IsulaException | IOException e) {
        temp.close();
        throw e;
      }
    } catch (LayerStream.LayerReadException e) {
      throw new InvalidImageException(e.getMessage(), e);
    }
    return new Prepared(temp.source(), temp.digest(), temp.size(), target, layer, temp);
  }
}
