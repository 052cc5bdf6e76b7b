package dev.isula.format.containersstorage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Crc64Test {
  /** The catalogued check value of CRC-64/GO-ISO, Go's crc64.Checksum with the ISO table. */
  @Test
  void checkValueOfGoIso() {
    assertEquals(0xb90956c775a41001L, Crc64.of("123456789".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(0L, Crc64.of(new byte[0]));
  }

  /** Slicing-by-8 (long inputs) agrees with the plain bitwise definition at every length. */
  @Test
  void eightAtATimeAgreesWithBitwise() {
    Random r = new Random(15);
    for (int len = 0; len < 300; len++) {
      byte[] b = new byte[len];
      r.nextBytes(b);
      Crc64 split = new Crc64();
      int cut = len / 3;
      split.update(b, 0, cut);
      split.update(b, cut, len - cut);
      assertEquals(bitwise(b), Crc64.of(b), "length " + len);
      assertEquals(bitwise(b), split.value(), "length " + len + " in two parts");
    }
  }

  private static long bitwise(byte[] b) {
    long crc = ~0L;
    for (byte x : b) {
      crc ^= x & 0xff;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0xD800000000000000L : crc >>> 1;
      }
    }
    return ~crc;
  }
}
