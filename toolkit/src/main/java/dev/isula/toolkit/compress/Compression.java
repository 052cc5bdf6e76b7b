package dev.isula.toolkit.compress;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.isula.toolkit.api.UsageException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;

/**
 * The stream compressions found on layers and rootfs tarballs. Detection is by magic bytes, never
 * by media type or extension alone, because real archives lie (layers of one image may differ,
 * docker-archive layers carry no media type at all).
 */
public enum Compression {
  NONE("none", ""),
  GZIP("gzip", ".gz"),
  ZSTD("zstd", ".zst"),
  XZ("xz", ".xz"),
  BZIP2("bzip2", ".bz2");

  /** Bytes needed by {@link #detect(byte[], int)}. */
  public static final int MAGIC_LENGTH = 6;

  private static final int BUFFER = 256 * 1024;

  private final String id;
  private final String suffix;

  Compression(String id, String suffix) {
    this.id = id;
    this.suffix = suffix;
  }

  /** The name used on the command line ({@code --compress gzip}). */
  public String id() {
    return id;
  }

  /** File suffix appended to {@code .tar}. */
  public String suffix() {
    return suffix;
  }

  /** Identifies a compression from the first bytes of a stream. */
  public static Compression detect(byte[] head, int len) {
    if (len >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (len >= 4
        && (head[0] & 0xff) == 0x28
        && (head[1] & 0xff) == 0xb5
        && (head[2] & 0xff) == 0x2f
        && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    if (len >= 6
        && (head[0] & 0xff) == 0xfd
        && head[1] == '7'
        && head[2] == 'z'
        && head[3] == 'X'
        && head[4] == 'Z'
        && head[5] == 0) {
      return XZ;
    }
    if (len >= 3 && head[0] == 'B' && head[1] == 'Z' && head[2] == 'h') {
      return BZIP2;
    }
    return NONE;
  }

  /** Parses a {@code --compress} value. */
  public static Compression fromId(String id) throws UsageException {
    String v = id.toLowerCase(Locale.ROOT);
    for (Compression c : values()) {
      if (c.id.equals(v)) {
        return c;
      }
    }
    if (v.equals("zst")) {
      return ZSTD;
    }
    if (v.equals("gz")) {
      return GZIP;
    }
    throw new UsageException("unknown compression '" + id + "' (use none, gzip, zstd or xz)");
  }

  /** The compression a file name implies ({@code .tar.gz}, {@code .tgz}, {@code .tar.zst}...). */
  public static Compression fromFileName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".gz") || n.endsWith(".tgz")) {
      return GZIP;
    }
    if (n.endsWith(".zst") || n.endsWith(".tzst") || n.endsWith(".zstd")) {
      return ZSTD;
    }
    if (n.endsWith(".xz") || n.endsWith(".txz")) {
      return XZ;
    }
    if (n.endsWith(".bz2") || n.endsWith(".tbz2")) {
      return BZIP2;
    }
    return NONE;
  }

  /** Sniffs the stream and returns it decompressed; the returned stream owns {@code in}. */
  public static InputStream decompress(InputStream in) throws IOException {
    BufferedInputStream b =
        in instanceof BufferedInputStream bi ? bi : new BufferedInputStream(in, BUFFER);
    return detect(b).open(b);
  }

  /** Peeks at a mark-supporting stream without consuming it. */
  public static Compression detect(InputStream markable) throws IOException {
    markable.mark(MAGIC_LENGTH);
    byte[] head = new byte[MAGIC_LENGTH];
    int n = 0;
    while (n < head.length) {
      int r = markable.read(head, n, head.length - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    markable.reset();
    return detect(head, n);
  }

  /** Wraps {@code in} (compressed with this) into a decompressing stream. */
  public InputStream open(InputStream in) throws IOException {
    return switch (this) {
      case NONE -> in;
      case GZIP -> GzipDecoders.open(in);
      case ZSTD -> new ZstdInputStreamNoFinalizer(in, RecyclingBufferPool.INSTANCE);
      case XZ -> new XZCompressorInputStream(in, true);
      case BZIP2 -> new BZip2CompressorInputStream(in, true);
    };
  }

  /**
   * Wraps {@code out} into a compressing stream; closing it finishes the compressed stream and
   * closes {@code out}.
   *
   * @param level codec level, or -1 for the codec's usual default (gzip 6, zstd 3)
   * @param threads worker threads the codec may use
   */
  public OutputStream compress(OutputStream out, int level, int threads) throws IOException {
    return switch (this) {
      case NONE -> out;
      case GZIP -> new ParallelGzipOutputStream(out, level < 0 ? 6 : level, threads);
      case ZSTD -> {
        ZstdOutputStreamNoFinalizer z =
            new ZstdOutputStreamNoFinalizer(out, RecyclingBufferPool.INSTANCE);
        z.setLevel(level < 0 ? 3 : level);
        if (threads > 1) {
          z.setWorkers(threads);
        }
        z.setChecksum(true);
        yield z;
      }
      case XZ -> new XZCompressorOutputStream(out, level < 0 ? 6 : level);
      case BZIP2 -> throw new IOException("writing bzip2 is not supported");
    };
  }
}
