package dev.isula.toolkit.hash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DigestTest {
  private static final String EMPTY_SHA256 =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  private static final String ABC_SHA512 =
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
          + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

  @Test
  void parsesSha256() {
    Digest d = Digest.parse("sha256:" + EMPTY_SHA256);

    assertEquals("sha256", d.algorithm());
    assertEquals(EMPTY_SHA256, d.hex());
    assertEquals("e3b0c44298fc", d.shortHex());
    assertEquals("sha256:" + EMPTY_SHA256, d.toString());
  }

  @Test
  void parsesSha512() {
    Digest d = Digest.parse("sha512:" + ABC_SHA512);

    assertEquals("sha512", d.algorithm());
    assertEquals(ABC_SHA512, d.hex());
  }

  @Test
  void sha256OfBytes() {
    assertEquals("sha256:" + EMPTY_SHA256, Digest.sha256(new byte[0]).toString());
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        Digest.sha256("abc".getBytes(StandardCharsets.US_ASCII)).hex());
  }

  @Test
  void hasherMatchesTheAlgorithm() {
    Digest d512 = Digest.parse("sha512:" + ABC_SHA512);
    MessageDigest h = d512.newHasher();

    byte[] hash = h.digest("abc".getBytes(StandardCharsets.US_ASCII));

    assertEquals(d512, Digest.fromHash("sha512", hash));
    assertEquals(32, Digest.parse("sha256:" + EMPTY_SHA256).newHasher().getDigestLength());
    assertEquals(32, Digest.newSha256().getDigestLength());
  }

  static Stream<String> malformed() {
    return Stream.of(
        "",
        "sha256",
        "sha256:",
        ":" + EMPTY_SHA256,
        "SHA256:" + EMPTY_SHA256,
        "sha256:" + EMPTY_SHA256.toUpperCase(Locale.ROOT),
        "sha256:" + EMPTY_SHA256.substring(0, 63),
        "sha256:" + EMPTY_SHA256 + "0",
        "sha256:" + EMPTY_SHA256 + "\n",
        "sha256: " + EMPTY_SHA256,
        "sha256:../../../../etc/passwd",
        "sha256:abc/../../def",
        "sha256:" + "g".repeat(64),
        "sha512:" + EMPTY_SHA256,
        "sha384:" + EMPTY_SHA256,
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha256:" + EMPTY_SHA256 + ":extra",
        "blobs/sha256/" + EMPTY_SHA256);
  }

  @ParameterizedTest
  @MethodSource("malformed")
  void rejectsAnythingButStrictLowercaseHexOfTheRightLength(String text) {
    assertThrows(IllegalArgumentException.class, () -> Digest.parse(text));
    assertNull(Digest.tryParse(text));
  }

  @Test
  void rejectsNull() {
    assertThrows(IllegalArgumentException.class, () -> Digest.parse(null));
    assertNull(Digest.tryParse(null));
  }

  @Test
  void errorMessagesAreShortAndPrintable() {
    String hostile = "sha256:" + "\u0001".repeat(500);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Digest.parse(hostile));

    assertTrue(e.getMessage().length() < 120, e.getMessage());
    assertTrue(e.getMessage().chars().allMatch(c -> c >= 0x20 && c < 0x7f), e.getMessage());
  }

  @Test
  void ofValidatesBothParts() {
    assertEquals(Digest.parse("sha256:" + EMPTY_SHA256), Digest.of("sha256", EMPTY_SHA256));
    assertThrows(IllegalArgumentException.class, () -> Digest.of("sha1", EMPTY_SHA256));
    assertThrows(IllegalArgumentException.class, () -> Digest.of("sha256", "zz"));
  }

  @Test
  void equalityHashingAndOrder() {
    Digest a = Digest.sha256(new byte[] {1});
    Digest a2 = Digest.parse(a.toString());
    Digest b = Digest.sha256(new byte[] {2});

    assertEquals(a, a2);
    assertEquals(a.hashCode(), a2.hashCode());
    assertNotEquals(a, b);
    assertNotEquals(a, Digest.of("sha512", "0".repeat(128)));
    List<Digest> list = new ArrayList<>(List.of(b, a));
    Collections.sort(list);
    assertEquals(a.toString().compareTo(b.toString()) < 0 ? a : b, list.get(0));
    assertEquals(0, a.compareTo(a2));
  }

  @Test
  void fromHashEncodesLowercaseHex() {
    byte[] hash = new byte[32];
    hash[0] = (byte) 0xAB;

    Digest d = Digest.fromHash("sha256", hash);

    assertEquals("ab" + "00".repeat(31), d.hex());
    assertEquals(HexFormat.of().formatHex(hash), d.hex());
  }
}
