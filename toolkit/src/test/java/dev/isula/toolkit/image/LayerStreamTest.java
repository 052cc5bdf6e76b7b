package dev.isula.toolkit.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.hash.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way of opening a layer checks its blob digest and DiffID in {@link LayerStream#verify()},
 * wherever the hashing runs (on the reader's thread, or on the decompressing one).
 */
class LayerStreamTest {
  /** Not a real tar: the stream does not parse it, only decompresses and hashes it. */
  private static final byte[] TAR = tar();

  private static byte[] tar() {
    byte[] b = new byte[3 << 20];
    Random r = new Random(7);
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i % 5000 < 2500 ? r.nextInt() : 'a' + i % 26);
    }
    return b;
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(data);
    }
    return out.toByteArray();
  }

  private static Layer layer(byte[] blob, Digest digest, Digest diffId) {
    BlobSource source = () -> new ByteArrayInputStream(blob);
    return new Layer(0, 1, MediaTypes.OCI_LAYER_GZIP, digest, blob.length, diffId, source);
  }

  private static LayerStream open(Layer l, String how) throws IOException {
    return switch (how) {
      case "plain" -> l.openVerified();
      case "read-ahead" -> l.openVerifiedReadAhead();
      case "for-copy" -> l.openVerifiedForCopy();
      default -> throw new IllegalArgumentException(how);
    };
  }

  /** Reads in odd-sized pieces, then verifies; returns what was read. */
  private static byte[] readAndVerify(Layer l, String how) throws Exception {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try (LayerStream s = open(l, how)) {
      byte[] buf = new byte[70_001];
      int n;
      while ((n = s.read(buf, 0, buf.length)) >= 0) {
        got.write(buf, 0, n);
      }
      s.verify();
    }
    return got.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {"plain", "read-ahead", "for-copy"})
  void aGoodLayerReadsBackAndVerifies(String how) throws Exception {
    byte[] gz = gzip(TAR);
    assertArrayEquals(TAR, readAndVerify(layer(gz, Digest.sha256(gz), Digest.sha256(TAR)), how));
  }

  @ParameterizedTest
  @ValueSource(strings = {"plain", "read-ahead", "for-copy"})
  void aWrongDiffIdIsFound(String how) throws Exception {
    byte[] gz = gzip(TAR);
    Digest wrong = Digest.sha256(new byte[] {1});
    DigestMismatchException e =
        assertThrows(
            DigestMismatchException.class,
            () -> readAndVerify(layer(gz, Digest.sha256(gz), wrong), how));
    assertTrue(e.getMessage().contains("DiffID"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"plain", "read-ahead", "for-copy"})
  void aWrongBlobDigestIsFound(String how) throws Exception {
    byte[] gz = gzip(TAR);
    Digest wrong = Digest.sha256(new byte[] {2});
    DigestMismatchException e =
        assertThrows(
            DigestMismatchException.class,
            () -> readAndVerify(layer(gz, wrong, Digest.sha256(TAR)), how));
    assertTrue(e.getMessage().contains(wrong.toString()), e.getMessage());
  }

  /** Reading less than everything still verifies every byte: verify() drains the rest. */
  @ParameterizedTest
  @ValueSource(strings = {"plain", "read-ahead", "for-copy"})
  void verifyDrainsWhatWasNotRead(String how) throws Exception {
    byte[] gz = gzip(TAR);
    byte[] changed = TAR.clone();
    changed[changed.length - 1] ^= 1;
    Layer l = layer(gzip(changed), null, Digest.sha256(TAR));
    try (LayerStream s = open(l, how)) {
      InputStream in = s;
      in.readNBytes(1000);
      assertThrows(DigestMismatchException.class, s::verify);
    }
    try (LayerStream s = open(layer(gz, null, Digest.sha256(TAR)), how)) {
      s.readNBytes(1000);
      s.verify();
    }
  }
}
