package dev.isula.toolkit.blob;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.hash.DigestingOutputStream;
import dev.isula.toolkit.io.TempFiles;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
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
      w.copyFrom(tar);
      return w.finish();
    }
  }

  /**
   * Like {@link #compress(InputStream, Compression, int)} for a tar whose DiffID the caller
   * verifies itself (a layer being re-compressed): the tar is not hashed a second time here, and
   * {@link #diffId()} is {@code diffId}. The caller must discard the blob if verification fails.
   */
  public static TempBlob compressVerified(
      InputStream tar, Digest diffId, Compression compression, int threads) throws IOException {
    try (Writer w = new Writer(compression, threads, diffId)) {
      w.copyFrom(tar);
      return w.finish();
    }
  }

  /** A writer that takes the uncompressed tar as it is produced. */
  public static Writer writer(Compression compression, int threads) throws IOException {
    return new Writer(compression, threads, null);
  }

  /** Receives uncompressed tar bytes; {@link #finish()} yields the blob, close discards it. */
  public static final class Writer implements AutoCloseable {
    private final Path file;
    private final Compression compression;

    /** Hashes and counts the stored bytes; not hashing when they are a tar of known DiffID. */
    private final DigestingOutputStream stored;

    /** Hashes the tar; null when the stored bytes are the tar or the DiffID is known. */
    private final DigestingOutputStream tar;

    private final CountingOutputStream counted;
    private final OutputStream compressor;
    private final OutputStream entry;
    private final Digest knownDiffId;
    private boolean done;

    private Writer(Compression compression, int threads, Digest knownDiffId) throws IOException {
      this.file = TempFiles.create("blob", ".tmp");
      this.compression = compression;
      this.knownDiffId = knownDiffId;
      try {
        OutputStream fileOut = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
        this.stored =
            compression == Compression.NONE && knownDiffId != null
                ? DigestingOutputStream.countingOnly(fileOut)
                : new DigestingOutputStream(fileOut);
        OutputStream c = compression.compress(stored, -1, threads);
        // gzip blocks its input itself; zstd and xz are called through JNI or per write, so they
        // get large writes
        this.compressor =
            compression == Compression.NONE || compression == Compression.GZIP
                ? c
                : new BufferedOutputStream(c, 1 << 20);
        if (compression == Compression.NONE || knownDiffId != null) {
          this.tar = null;
          this.counted = new CountingOutputStream(compressor);
          this.entry = counted;
        } else {
          this.tar = new DigestingOutputStream(compressor);
          this.counted = null;
          this.entry = tar;
        }
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(file);
        throw e;
      }
    }

    /** Where the uncompressed tar goes; do not close it. */
    public OutputStream stream() {
      return entry;
    }

    void copyFrom(InputStream in) throws IOException {
      byte[] buf = new byte[256 * 1024];
      int n;
      while ((n = in.read(buf, 0, buf.length)) >= 0) {
        entry.write(buf, 0, n);
      }
    }

    /** Completes compression and returns the blob with its digests. */
    public TempBlob finish() throws IOException {
      entry.flush();
      compressor.close();
      done = true;
      Digest diffId;
      long tarSize;
      if (tar != null) {
        diffId = tar.digest();
        tarSize = tar.count();
      } else {
        diffId = knownDiffId != null ? knownDiffId : stored.digest();
        tarSize = counted.count;
      }
      Digest digest =
          compression == Compression.NONE && knownDiffId != null ? knownDiffId : stored.digest();
      return new TempBlob(file, digest, stored.count(), compression, diffId, tarSize);
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

  /** Counts what passes through. */
  private static final class CountingOutputStream extends FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
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
