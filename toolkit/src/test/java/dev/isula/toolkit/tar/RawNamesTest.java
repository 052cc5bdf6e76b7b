package dev.isula.toolkit.tar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RawNamesTest {
  private static byte[] hex(String h) {
    return HexFormat.of().parseHex(h);
  }

  @Test
  void validUtf8DecodesNormally() {
    String s = "caf\u00e9/\u65e5\u672c/\uD83D\uDE00/plain";
    byte[] b = s.getBytes(StandardCharsets.UTF_8);

    assertEquals(s, RawNames.decode(b));
    assertArrayEquals(b, RawNames.encode(s));
    assertFalse(RawNames.hasRawBytes(s));
  }

  @Test
  void invalidBytesBecomeLoneSurrogates() {
    assertEquals("caf\uDCE9", RawNames.decode(hex("636166e9")), "latin-1 e-acute");
    assertEquals("\uDCFF\uDCFE", RawNames.decode(hex("fffe")));
    assertEquals("\uDCC3", RawNames.decode(hex("c3")), "truncated two-byte sequence");
    assertEquals("\uDCC0\uDC80", RawNames.decode(hex("c080")), "overlong encoding");
    assertEquals("\uDCED\uDCB2\uDC80", RawNames.decode(hex("edb280")), "encoded surrogate");
    assertEquals("\uDCF4\uDC90\uDC80\uDC80", RawNames.decode(hex("f4908080")), "beyond U+10FFFF");
    assertEquals("\uDCE2\uDC82x", RawNames.decode(hex("e28278")), "sequence cut by ASCII");
    assertTrue(RawNames.hasRawBytes("caf\uDCE9"));
  }

  @Test
  void decodeHonoursOffsetAndLength() {
    byte[] b = "xxab\u00e9yy".getBytes(StandardCharsets.UTF_8);

    assertEquals("ab\u00e9", RawNames.decode(b, 2, 4));
    assertEquals("ab\uDCC3", RawNames.decode(b, 2, 3), "a sequence cut by the length");
  }

  @Test
  void everySingleByteRoundTrips() {
    for (int i = 0; i < 256; i++) {
      byte[] b = {(byte) i};
      assertArrayEquals(b, RawNames.encode(RawNames.decode(b)), "byte " + i);
    }
  }

  @Test
  void everyTwoByteSequenceRoundTrips() {
    for (int i = 0; i < 256; i++) {
      for (int j = 0; j < 256; j++) {
        byte[] b = {(byte) i, (byte) j};
        assertArrayEquals(b, RawNames.encode(RawNames.decode(b)), i + "," + j);
      }
    }
  }

  @Test
  void randomByteStringsRoundTripExactly() {
    Random r = new Random(20240601);
    for (int n = 0; n < 20_000; n++) {
      byte[] b = new byte[r.nextInt(12)];
      for (int i = 0; i < b.length; i++) {
        // favour bytes that start or continue multi-byte sequences
        b[i] = (byte) (r.nextBoolean() ? 0x80 + r.nextInt(128) : r.nextInt(256));
      }
      assertArrayEquals(b, RawNames.encode(RawNames.decode(b)), HexFormat.of().formatHex(b));
    }
  }

  @Test
  void supplementaryCharactersWhoseLowSurrogateLooksEscapedRoundTrip() {
    byte[] b = "\uD800\uDC80".getBytes(StandardCharsets.UTF_8); // U+10080

    String s = RawNames.decode(b);

    assertEquals("\uD800\uDC80", s);
    assertArrayEquals(b, RawNames.encode(s));
    assertArrayEquals(hex("f0908280e9"), RawNames.encode(RawNames.decode(hex("f0908280e9"))));
  }

  @Test
  void asciiDetection() {
    assertTrue(RawNames.isAscii("plain/name.txt"));
    assertFalse(RawNames.isAscii("caf\u00e9"));
    assertFalse(RawNames.isAscii("caf\uDCE9"));
  }

  @Test
  void unpairedSurrogatesOutsideTheEscapeRangeEncodeAsQuestionMarks() {
    assertArrayEquals("a?b".getBytes(StandardCharsets.US_ASCII), RawNames.encode("a\uD800b"));
    assertArrayEquals("?".getBytes(StandardCharsets.US_ASCII), RawNames.encode("\uDC00"));
  }
}
