package dev.isula.format.containersstorage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * CRC-64 with the ISO 3309 polynomial in its reflected form, as Go's {@code hash/crc64} computes it
 * with {@code crc64.MakeTable(crc64.ISO)}: the checksum tar-split records for every file it packs.
 * Bytes are processed eight at a time with slicing-by-8 tables.
 */
final class Crc64 {
  private static final long POLY_ISO_REFLECTED = 0xD800000000000000L;
  private static final long[][] TABLES = tables();
  private static final VarHandle LITTLE_ENDIAN_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private long crc;

  /** The checksum of {@code b}, as Go's {@code crc64.Checksum(b, isoTable)}. */
  static long of(byte[] b) {
    Crc64 c = new Crc64();
    c.update(b, 0, b.length);
    return c.value();
  }

  void update(byte[] b, int off, int len) {
    long c = ~crc;
    long[] t0 = TABLES[0];
    int i = off;
    int end = off + len;
    if (len >= 16) {
      long[] t1 = TABLES[1];
      long[] t2 = TABLES[2];
      long[] t3 = TABLES[3];
      long[] t4 = TABLES[4];
      long[] t5 = TABLES[5];
      long[] t6 = TABLES[6];
      long[] t7 = TABLES[7];
      for (; i + 8 <= end; i += 8) {
        c ^= (long) LITTLE_ENDIAN_LONG.get(b, i);
        c =
            t7[(int) (c & 0xff)]
                ^ t6[(int) ((c >>> 8) & 0xff)]
                ^ t5[(int) ((c >>> 16) & 0xff)]
                ^ t4[(int) ((c >>> 24) & 0xff)]
                ^ t3[(int) ((c >>> 32) & 0xff)]
                ^ t2[(int) ((c >>> 40) & 0xff)]
                ^ t1[(int) ((c >>> 48) & 0xff)]
                ^ t0[(int) (c >>> 56)];
      }
    }
    for (; i < end; i++) {
      c = t0[(int) ((c ^ b[i]) & 0xff)] ^ (c >>> 8);
    }
    crc = ~c;
  }

  long value() {
    return crc;
  }

  private static long[][] tables() {
    long[][] t = new long[8][256];
    for (int i = 0; i < 256; i++) {
      long c = i;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? (c >>> 1) ^ POLY_ISO_REFLECTED : c >>> 1;
      }
      t[0][i] = c;
    }
    for (int i = 0; i < 256; i++) {
      long c = t[0][i];
      for (int k = 1; k < 8; k++) {
        c = t[0][(int) (c & 0xff)] ^ (c >>> 8);
        t[k][i] = c;
      }
    }
    return t;
  }
}
