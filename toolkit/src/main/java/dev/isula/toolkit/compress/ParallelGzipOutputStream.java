package dev.isula.toolkit.compress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A gzip writer that deflates blocks on several cores. With zlib (the default, see {@link
 * GzipEncoders}) it works the way pigz does: each 128 KiB block is compressed independently with
 * the previous 32 KiB of input as its dictionary and ends on a sync flush, so the concatenated
 * blocks form one ordinary deflate stream in one gzip member that any gunzip reads. With libdeflate
 * each 1 MiB block becomes a gzip member of its own (libdeflate has neither dictionaries nor
 * flushes). The output depends only on the input, the level and the encoder, never on the thread
 * count.
 */
public final class ParallelGzipOutputStream extends OutputStream {
  static final int BLOCK = 128 * 1024;
  static final int MEMBER_BLOCK = 1024 * 1024;
  private static final int DICTIONARY = 32 * 1024;

  private final OutputStream out;
  private final int level;
  private final ExecutorService pool;
  private final int maxPending;
  private final ArrayDeque<Future<byte[]>> pending = new ArrayDeque<>();
  private final CRC32 crc = new CRC32();

  /** libdeflate, one member per block; null for zlib's single member */
  private final GzipEncoders.MemberEncoder members;

  private final int blockSize;
  private byte[] block;
  private int filled;
  private byte[] dictionary;
  private long total;
  private boolean submitted;
  private boolean closed;

  /**
   * With the encoder the user chose ({@link GzipEncoders#choice()}).
   *
   * @param out where the gzip stream goes; closed by {@link #close()}
   * @param level deflate level 0-9
   * @param threads compression threads; 1 compresses on the caller's thread
   */
  public ParallelGzipOutputStream(OutputStream out, int level, int threads) throws IOException {
    this(out, level, threads, GzipEncoders.choice());
  }

  /**
   * @param out where the gzip stream goes; closed by {@link #close()}
   * @param level deflate level 0-9
   * @param threads compression threads; 1 compresses on the caller's thread
   * @param encoder {@code zlib} or {@code libdeflate}
   * @throws IOException when libdeflate is asked for and cannot be used here
   */
  public ParallelGzipOutputStream(OutputStream out, int level, int threads, String encoder)
      throws IOException {
    if (level < 0 || level > 9) {
      throw new IllegalArgumentException("gzip level must be 0-9: " + level);
    }
    this.members =
        switch (encoder) {
          case "zlib" -> null;
          case "libdeflate" -> GzipEncoders.libdeflate();
          default -> throw new IllegalArgumentException("unknown gzip encoder: " + encoder);
        };
    this.blockSize = members == null ? BLOCK : MEMBER_BLOCK;
    this.block = new byte[blockSize];
    this.out = out;
    this.level = level;
    if (threads > 1) {
      this.pool =
          Executors.newFixedThreadPool(
              threads,
              r -> {
                Thread t = new Thread(r, "gzip-worker");
                t.setDaemon(true);
                return t;
              });
      this.maxPending = threads * 2;
    } else {
      this.pool = null;
      this.maxPending = 0;
    }
    if (members == null) {
      // gzip header: deflate, no flags, mtime 0, no extra flags, OS = Unix (deterministic)
      out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
    }
  }

  /** Which deflate runs, for {@code isula --version --verbose}. */
  public static String describe() {
    return GzipEncoders.describe();
  }

  static String describeZlib() {
    return "zlib (java.util.zip), pigz-style 128 KiB blocks on up to "
        + Runtime.getRuntime().availableProcessors()
        + " threads";
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    ensureOpen();
    while (len > 0) {
      int n = Math.min(len, blockSize - filled);
      System.arraycopy(b, off, block, filled, n);
      filled += n;
      off += n;
      len -= n;
      if (filled == blockSize) {
        submit(false);
      }
    }
  }

  /** One block's compression, run on a worker or on the caller's thread. */
  private interface BlockTask {
    byte[] compress() throws IOException;
  }

  private void submit(boolean last) throws IOException {
    submitted = true;
    byte[] data = block;
    int n = filled;
    block = new byte[blockSize];
    filled = 0;
    BlockTask task;
    if (members != null) {
      task = () -> members.member(data, n, level);
    } else {
      byte[] dict = dictionary;
      crc.update(data, 0, n);
      total += n;
      if (n >= DICTIONARY) {
        dictionary = Arrays.copyOfRange(data, n - DICTIONARY, n);
      } else if (n > 0) {
        byte[] prev = dict == null ? new byte[0] : dict;
        int keep = Math.min(prev.length, DICTIONARY - n);
        byte[] d = new byte[keep + n];
        System.arraycopy(prev, prev.length - keep, d, 0, keep);
        System.arraycopy(data, 0, d, keep, n);
        dictionary = d;
      }
      task = () -> deflate(data, n, dict, last, level);
    }
    if (pool == null) {
      out.write(task.compress());
      return;
    }
    pending.add(pool.submit(task::compress));
    while (pending.size() > maxPending) {
      writeOldest();
    }
  }

  private void writeOldest() throws IOException {
    Future<byte[]> f = pending.poll();
    try {
      out.write(f.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while compressing");
    } catch (ExecutionException e) {
      throw new IOException("gzip compression failed", e.getCause());
    }
  }

  /**
   * One deflater per thread and level, reset between blocks: a reset deflater produces exactly what
   * a new one would, without allocating and clearing zlib's tables for every block.
   */
  private static final ThreadLocal<Deflater[]> DEFLATERS =
      ThreadLocal.withInitial(() -> new Deflater[10]);

  private static final ThreadLocal<byte[]> OUTPUT =
      ThreadLocal.withInitial(() -> new byte[64 * 1024]);

  static byte[] deflate(byte[] data, int n, byte[] dict, boolean last, int level) {
    Deflater[] cache = DEFLATERS.get();
    Deflater d = cache[level];
    if (d == null) {
      d = new Deflater(level, true);
      cache[level] = d;
    } else {
      d.reset();
    }
    boolean ok = false;
    try {
      if (dict != null && dict.length > 0) {
        d.setDictionary(dict);
      }
      d.setInput(data, 0, n);
      ByteArrayOutputStream bo = new ByteArrayOutputStream(n / 2 + 64);
      byte[] ob = OUTPUT.get();
      if (last) {
        d.finish();
        while (!d.finished()) {
          int k = d.deflate(ob);
          bo.write(ob, 0, k);
        }
      } else {
        int k;
        do {
          k = d.deflate(ob, 0, ob.length, Deflater.SYNC_FLUSH);
          bo.write(ob, 0, k);
        } while (k == ob.length || !d.needsInput());
      }
      ok = true;
      return bo.toByteArray();
    } finally {
      d.setInput(new byte[0]); // drop the reference to the block
      if (!ok || last) {
        // after a failure the state is unknown; after the last block the thread may be done
        d.end();
        cache[level] = null;
      }
    }
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      // zlib: the last block ends the one deflate stream; libdeflate: the last block, or one
      // empty member when there was no input at all
      if (members == null || filled > 0 || !submitted) {
        submit(true);
      }
      while (!pending.isEmpty()) {
        writeOldest();
      }
      if (members != null) {
        return; // each member carries its own trailer
      }
      long c = crc.getValue();
      byte[] trailer = {
        (byte) c,
        (byte) (c >>> 8),
        (byte) (c >>> 16),
        (byte) (c >>> 24),
        (byte) total,
        (byte) (total >>> 8),
        (byte) (total >>> 16),
        (byte) (total >>> 24)
      };
      out.write(trailer);
    } finally {
      if (pool != null) {
        pool.shutdownNow();
      }
      out.close();
    }
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
  }
}
