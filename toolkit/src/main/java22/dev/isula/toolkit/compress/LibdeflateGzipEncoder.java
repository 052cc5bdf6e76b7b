package dev.isula.toolkit.compress;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.GZIPInputStream;

/**
 * Gzip members by libdeflate ({@code libdeflate.so.0}) through the FFM API. Only in the Java 22
 * section of the multi-release jar; {@link GzipEncoders} loads it by name when the user chooses
 * libdeflate. A self-test at load compresses a known text and inflates it back with {@code
 * java.util.zip}; the class refuses to load when that fails.
 *
 * <p>Compressors (libdeflate's, plus native input and output buffers) are kept in a pool per level
 * and reused; the pool holds at most as many as ever ran at once.
 */
final class LibdeflateGzipEncoder implements GzipEncoders.MemberEncoder {
  private static final String LIBRARY = "libdeflate.so.0";
  private static final int CAPACITY = 1 << 20;

  private final MethodHandle alloc;
  private final MethodHandle compress;
  private final MethodHandle bound;
  private final MethodHandle free;

  @SuppressWarnings("unchecked")
  private final ConcurrentLinkedQueue<Worker>[] pools = new ConcurrentLinkedQueue[13];

  /**
   * Looks the library up and self-tests it.
   *
   * @throws IllegalStateException when the library is missing or does not compress correctly
   */
  LibdeflateGzipEncoder() {
    NativeLibrary lib = NativeLibrary.open(LIBRARY, "libdeflate0");
    this.alloc =
        lib.downcall(
            "libdeflate_alloc_compressor",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    this.compress =
        lib.downcall(
            "libdeflate_gzip_compress",
            FunctionDescriptor.of(
                ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS,
                ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG,
                ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG));
    this.bound =
        lib.downcall(
            "libdeflate_gzip_compress_bound",
            FunctionDescriptor.of(
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
            Linker.Option.critical(false));
    this.free =
        lib.downcall("libdeflate_free_compressor", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    for (int i = 0; i < pools.length; i++) {
      pools[i] = new ConcurrentLinkedQueue<>();
    }
    selfTest();
  }

  @Override
  public String name() {
    return "libdeflate (" + LIBRARY + ")";
  }

  /** A compressor with its native buffers, used by one thread at a time. */
  private static final class Worker {
    final MemorySegment compressor;
    final MemorySegment in;
    final MemorySegment out;

    Worker(MemorySegment compressor, MemorySegment in, MemorySegment out) {
      this.compressor = compressor;
      this.in = in;
      this.out = out;
    }
  }

  private Worker take(int level) throws IOException {
    Worker w = pools[level].poll();
    if (w != null) {
      return w;
    }
    MemorySegment c;
    long outSize;
    try {
      c = (MemorySegment) alloc.invokeExact(level);
      if (c.address() == 0) {
        throw new IOException("libdeflate could not allocate a compressor (level " + level + ")");
      }
      outSize = (long) bound.invokeExact(c, (long) CAPACITY);
    } catch (IOException e) {
      throw e;
    } catch (Throwable t) {
      throw new IOException("libdeflate_alloc_compressor failed", t);
    }
    Arena a = Arena.global();
    return new Worker(c, a.allocate(CAPACITY, 64), a.allocate(outSize, 64));
  }

  @Override
  public byte[] member(byte[] data, int n, int level) throws IOException {
    if (level < 0 || level > 12) {
      throw new IllegalArgumentException("libdeflate level must be 0-12: " + level);
    }
    if (n > CAPACITY) {
      throw new IllegalArgumentException("block larger than " + CAPACITY + " bytes: " + n);
    }
    Worker w = take(level);
    boolean ok = false;
    try {
      MemorySegment.copy(data, 0, w.in, ValueLayout.JAVA_BYTE, 0, n);
      long size;
      try {
        size = (long) compress.invokeExact(w.compressor, w.in, (long) n, w.out, w.out.byteSize());
      } catch (Throwable t) {
        throw new IOException("libdeflate_gzip_compress failed", t);
      }
      if (size <= 0) {
        throw new IOException("libdeflate_gzip_compress produced nothing for " + n + " bytes");
      }
      byte[] member = new byte[(int) size];
      MemorySegment.copy(w.out, ValueLayout.JAVA_BYTE, 0, member, 0, (int) size);
      ok = true;
      return member;
    } finally {
      if (ok) {
        pools[level].add(w);
      } else {
        release(w);
      }
    }
  }

  private void release(Worker w) {
    try {
      free.invokeExact(w.compressor);
    } catch (Throwable t) {
      // the compressor is lost either way
    }
  }

  /** A known text, deflated at two levels, must inflate back exactly with java.util.zip. */
  private void selfTest() {
    byte[] text = "isula isula isula isula\n".repeat(500).getBytes(StandardCharsets.US_ASCII);
    try {
      for (int level : new int[] {1, 6}) {
        byte[] gz = member(text, text.length, level);
        byte[] back;
        try (InputStream s = new GZIPInputStream(new ByteArrayInputStream(gz))) {
          back = s.readAllBytes();
        }
        if (!Arrays.equals(back, text)) {
          throw new IllegalStateException(LIBRARY + " failed its self-test");
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(LIBRARY + " failed its self-test: " + e.getMessage(), e);
    }
  }
}
