package dev.isula.toolkit.hash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DigestingInputStreamTest {
  private static byte[] data(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @Test
  void hashesAndCountsEverythingReadInAnyMix() throws Exception {
    byte[] data = data(1_000_003);
    DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data));

    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    seen.write(in.read());
    byte[] buf = new byte[777];
    int n = in.read(buf, 0, buf.length);
    seen.write(buf, 0, n);
    assertEquals(0, in.read(buf, 0, 0));
    seen.write(in.readAllBytes());

    assertEquals(-1, in.read());
    assertArrayEquals(data, seen.toByteArray());
    assertEquals(data.length, in.count());
    assertEquals(Digest.sha256(data), in.digest());
  }

  @Test
  void skippedBytesAreHashedToo() throws Exception {
    byte[] data = data(300_000);
    DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data));

    assertEquals(10, in.read(new byte[10]));
    assertEquals(200_000, in.skip(200_000));
    assertEquals(99_990, in.skip(1_000_000), "skip stops at the end");
    assertEquals(0, in.skip(5));

    assertEquals(data.length, in.count());
    assertEquals(Digest.sha256(data), in.digest());
  }

  @Test
  void drainReadsTheRestAndReportsHowMuch() throws Exception {
    byte[] data = data(600_000);
    DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data));
    in.read(new byte[100]);

    assertEquals(599_900, in.drain());
    assertEquals(0, in.drain());
    assertEquals(Digest.sha256(data), in.digest());
  }

  @Test
  void sha512IsSupported() throws Exception {
    byte[] data = data(5000);
    DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(data), "sha512");

    in.drain();

    byte[] expected = MessageDigest.getInstance("SHA-512").digest(data);
    assertEquals(Digest.fromHash("sha512", expected), in.digest());
    assertEquals("sha512", in.digest().algorithm());
  }

  @Test
  void emptyStream() throws Exception {
    DigestingInputStream in = new DigestingInputStream(InputStream.nullInputStream());

    assertEquals(-1, in.read());
    assertEquals(0, in.count());
    assertEquals(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        in.digest().toString());
  }

  @Test
  void markIsNotSupportedSoNothingIsHashedTwice() {
    DigestingInputStream in = new DigestingInputStream(new ByteArrayInputStream(new byte[10]));

    assertFalse(in.markSupported());
  }

  @Test
  void outputStreamCounterpartAgrees() throws Exception {
    byte[] data = data(70_000);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    DigestingOutputStream out = new DigestingOutputStream(sink);

    out.write(data[0]);
    out.write(data, 1, data.length - 1);

    assertArrayEquals(data, sink.toByteArray());
    assertEquals(data.length, out.count());
    assertEquals(Digest.sha256(data), out.digest());
  }
}
