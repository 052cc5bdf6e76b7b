package dev.isula.toolkit.blob;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.hash.DigestingOutputStream;
import dev.isula.toolkit.io.TempFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A layer blob built in a scratch file, with both its digests computed in the same pass that wrote
 * it: the blob digest over the stored (compressed) bytes and the DiffID over the tar. Closing
 * deletes the file.
 */
public final class TempBlob implements AutoCloseable {
  private final Path file;
  private final Digest digest;
  private final long size;
  private final Compression compression;
  private final Digest diffId;
  private final long tarSize;

  private TempBlob(
      Path file, Digest digest, long size, Compression compression, Digest diffId, long tarSize) {
    this.file = file;
    this.digest = digest;
    this.size = size;
    this.compression = compression;
    this.diffId = diffId;
    this.tarSize = tarSize;
  }

  /**
   * Reads an uncompressed tar to its end and stores it compressed with {@code compression}.
   *
   * @param threads cores the compressor may use
   */
  public static TempBlob compress(InputStream tar, Compression compression, int threads)
      throws IOException {
    try (Writer w = writer(compression, threads)) {
      tar.transferTo(w.stream());
      return w.finish();
    }
  }

  /** A writer that takes the uncompressed tar as it is produced. */
  public static Writer writer(Compression compression, int threads) throws IOException {
    return new Writer(compression, threads);
  }

  /** Receives uncompressed tar bytes; {@link #finish()} yields the blob, close discards it. */
  public static final class Writer implements AutoCloseable {
    private final Path file;
    private final Compression compression;
    private final DigestingOutputStream stored;
    private final DigestingOutputStream tar;
    private final OutputStream compressor;
    private boolean done;

    private Writer(Compression compression, int threads) throws IOException {
      this.file = TempFiles.create("blob", ".tmp");
      this.compression = compression;
      try {
        this.stored =
            new DigestingOutputStream(
                new BufferedOutputStream(Files.newOutputStream(file), 1 << 20));
        OutputStream c = compression.compress(stored, -1, threads);
        this.compressor =
            compression == Compression.NONE ? c : new BufferedOutputStream(c, 1 << 20);
        this.tar = new DigestingOutputStream(compressor);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(file);
        throw e;
      }
    }

    /** Where the uncompressed tar goes; do not close it. */
    public OutputStream stream() {
      return tar;
    }

    /** Completes compression and returns the blob with its digests. */
    public TempBlob finish() throws IOException {
      tar.flush();
      compressor.close();
      done = true;
      return new TempBlob(
          file, stored.digest(), stored.count(), compression, tar.digest(), tar.count());
    }

    @Override
    public void close() throws IOException {
      if (!done) {
        try {
          stored.close();
        } catch (IOException ignored) {
          // discarding anyway
        }
        Files.deleteIfExists(file);
      }
    }
  }

  public Path file() {
    return file;
  }

  /** Digest of the stored bytes. */
  public Digest digest() {
    return digest;
  }

  /** Size of the stored bytes. */
  public long size() {
    return size;
  }

  public Compression compression() {
    return compression;
  }

  /** Digest of the uncompressed tar. */
  public Digest diffId() {
    return diffId;
  }

  /** Size of the uncompressed tar. */
  public long tarSize() {
    return tarSize;
  }

  /** The stored bytes as a re-openable source. */
  public BlobSource source() {
    return BlobSource.of(new FileRange(file, 0, size));
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(file);
  }
}
