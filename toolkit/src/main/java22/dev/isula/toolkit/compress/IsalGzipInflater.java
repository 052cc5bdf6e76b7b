package dev.isula.toolkit.compress;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * Gzip inflate by ISA-L ({@code libisal.so.2}) through the FFM API, about three times as fast as
 * zlib on container layers. Only in the Java 22 section of the multi-release jar; {@link
 * GzipDecoders} loads it by name and falls back to {@code java.util.zip} when it (or the library)
 * is missing. The decompressed bytes are the same whichever inflater runs: inflate is defined by
 * the format, and ISA-L checks each member's CRC-32 and size as zlib does.
 *
 * <p>The offsets below are those of {@code struct inflate_state} in the ABI of {@code libisal.so.2}
 * (checked against ISA-L 2.30's header); a self-test at load inflates a known stream and the class
 * refuses to load when the result differs.
 */
final class IsalGzipInflater implements GzipDecoders.Inflater {
  private static final String LIBRARY = "libisal.so.2";

  // struct inflate_state (igzip_lib.h), x86-64 and aarch64 LP64 layout
  private static final long STATE_SIZE = 87368;
  private static final long NEXT_OUT = 0;
  private static final long AVAIL_OUT = 8;
  private static final long NEXT_IN = 16;
  private static final long AVAIL_IN = 32;
  private static final long BLOCK_STATE = 21160;
  private static final long CRC_FLAG = 21172;

  private static final int ISAL_GZIP = 1;
  private static final int ISAL_BLOCK_FINISH = 5;

  private static final int IN_SIZE = 256 * 1024;
  private static final int OUT_SIZE = 256 * 1024;

  private final MethodHandle init;
  private final MethodHandle inflate;
  private final String name;

  /**
   * Looks the library up and self-tests it.
   *
   * @throws IllegalStateException when the library is missing or does not inflate correctly
   */
  IsalGzipInflater() {
    NativeLibrary lib = NativeLibrary.open(LIBRARY, "libisal2");
    this.init =
        lib.downcall(
            "isal_inflate_init",
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS),
            Linker.Option.critical(false));
    this.inflate =
        lib.downcall(
            "isal_inflate",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
            Linker.Option.critical(false));
    this.name = "ISA-L (" + LIBRARY + ")";
    selfTest();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public InputStream open(InputStream in) {
    return new Stream(in);
  }

  /** Two concatenated members of a known text, in small reads, must come back exactly. */
  private void selfTest() {
    byte[] text =
        "isula isula isula isula\n"
            .repeat(500)
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    try {
      java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
      for (int i = 0; i < 2; i++) {
        try (java.util.zip.GZIPOutputStream z =
            new java.util.zip.GZIPOutputStream(gz) {
              @Override
              public void close() throws IOException {
                finish(); // keep gz open for the second member
              }
            }) {
          z.write(text);
        }
      }
      byte[] out;
      try (InputStream s = new Stream(new java.io.ByteArrayInputStream(gz.toByteArray()))) {
        out = s.readAllBytes();
      }
      byte[] want = new byte[text.length * 2];
      System.arraycopy(text, 0, want, 0, text.length);
      System.arraycopy(text, 0, want, text.length, text.length);
      if (!Arrays.equals(out, want)) {
        throw new IllegalStateException(LIBRARY + " failed its self-test (unexpected ABI?)");
      }
    } catch (IOException e) {
      throw new IllegalStateException(LIBRARY + " failed its self-test: " + e.getMessage(), e);
    }
  }

  /** One gzip stream (any number of members, as gzip and zlib's gunzip read them). */
  private final class Stream extends InputStream {
    private final InputStream in;
    private final Arena arena = Arena.ofAuto();
    private final MemorySegment state = arena.allocate(STATE_SIZE, 64);
    private final MemorySegment inBuf = arena.allocate(IN_SIZE, 64);
    private final MemorySegment outBuf = arena.allocate(OUT_SIZE, 64);
    private final byte[] heapIn = new byte[IN_SIZE];
    private int outPos;
    private int outLimit;
    private boolean memberDone;
    private boolean inputEof;
    private boolean eof;
    private boolean started;

    Stream(InputStream in) {
      this.in = in;
    }

    private int availIn() {
      return state.get(ValueLayout.JAVA_INT, AVAIL_IN);
    }

    /** Moves the unread input to the front and reads more after it; false at end of input. */
    private boolean refill() throws IOException {
      if (inputEof) {
        return false;
      }
      int left = availIn();
      if (left > 0) {
        long at = state.get(ValueLayout.ADDRESS, NEXT_IN).address() - inBuf.address();
        MemorySegment.copy(inBuf, at, inBuf, 0, left);
      }
      int n = in.read(heapIn, 0, IN_SIZE - left);
      if (n < 0) {
        inputEof = true;
        return false;
      }
      MemorySegment.copy(heapIn, 0, inBuf, ValueLayout.JAVA_BYTE, left, n);
      state.set(ValueLayout.ADDRESS, NEXT_IN, inBuf);
      state.set(ValueLayout.JAVA_INT, AVAIL_IN, left + n);
      return true;
    }

    /**
     * RFC 1952 wants reserved header flags refused (gzip and zlib do); ISA-L ignores them, so the
     * flag byte is checked here first.
     */
    private void checkFlags() throws IOException {
      while (availIn() < 4 && refill()) {
        // the first four header bytes, if there are that many
      }
      if (availIn() >= 4) {
        MemorySegment next = state.get(ValueLayout.ADDRESS, NEXT_IN).reinterpret(4);
        if ((next.get(ValueLayout.JAVA_BYTE, 3) & 0xe0) != 0) {
          throw new IOException("reserved flags are set in the gzip header");
        }
      }
    }

    private void startMember() throws IOException {
      try {
        init.invokeExact(state);
      } catch (Throwable t) {
        throw new IOException("isal_inflate_init failed", t);
      }
      state.set(ValueLayout.JAVA_INT, CRC_FLAG, ISAL_GZIP);
      memberDone = false;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      while (outPos == outLimit) {
        if (eof || !produce()) {
          eof = true;
          return -1;
        }
      }
      int n = Math.min(len, outLimit - outPos);
      MemorySegment.copy(outBuf, ValueLayout.JAVA_BYTE, outPos, b, off, n);
      outPos += n;
      return n;
    }

    /** Inflates the next piece into outBuf; false at the clean end of the stream. */
    private boolean produce() throws IOException {
      if (!started) {
        started = true;
        startMember();
        state.set(ValueLayout.JAVA_INT, AVAIL_IN, 0);
        if (!refill()) {
          throw new EOFException("empty gzip stream");
        }
        checkFlags();
      }
      while (true) {
        if (memberDone) {
          // another member, or the end: anything else after a member is an error
          if (availIn() == 0 && !refill()) {
            return false;
          }
          checkFlags();
          MemorySegment next = state.get(ValueLayout.ADDRESS, NEXT_IN);
          int left = availIn();
          startMember();
          state.set(ValueLayout.ADDRESS, NEXT_IN, next);
          state.set(ValueLayout.JAVA_INT, AVAIL_IN, left);
        }
        if (availIn() == 0 && !refill()) {
          throw new EOFException("gzip stream ends in the middle of a member");
        }
        int inBefore = availIn();
        state.set(ValueLayout.ADDRESS, NEXT_OUT, outBuf);
        state.set(ValueLayout.JAVA_INT, AVAIL_OUT, OUT_SIZE);
        int rc;
        try {
          rc = (int) inflate.invokeExact(state);
        } catch (Throwable t) {
          throw new IOException("isal_inflate failed", t);
        }
        if (rc < 0) {
          throw new IOException(error(rc));
        }
        int produced = OUT_SIZE - state.get(ValueLayout.JAVA_INT, AVAIL_OUT);
        if (state.get(ValueLayout.JAVA_INT, BLOCK_STATE) == ISAL_BLOCK_FINISH) {
          memberDone = true;
        }
        if (produced > 0) {
          outPos = 0;
          outLimit = produced;
          return true;
        }
        if (!memberDone && availIn() == inBefore && availIn() > 0) {
          // no progress with input at hand: it needs more at once
          if (!refill()) {
            throw new EOFException("gzip stream ends in the middle of a member");
          }
        }
      }
    }

    @Override
    public void close() throws IOException {
      eof = true;
      in.close();
    }
  }

  private static String error(int rc) {
    return switch (rc) {
      case -1 -> "invalid deflate block in gzip data";
      case -2 -> "invalid deflate symbol in gzip data";
      case -3 -> "invalid back-reference distance in gzip data";
      case -4 -> "not in gzip format (bad gzip header)";
      case -5 -> "unsupported gzip compression method";
      case -6 -> "gzip data fails its CRC-32 or size check";
      default -> "gzip data is corrupt (ISA-L error " + rc + ")";
    };
  }
}
