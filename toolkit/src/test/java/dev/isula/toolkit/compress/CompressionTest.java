package dev.isula.toolkit.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.testing.TarBuilder;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class CompressionTest {
  private static byte[] sample() {
    byte[] b = new byte[300_000];
    Random r = new Random(3);
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i % 3 == 0 ? r.nextInt() : 'a' + i % 7);
    }
    return b;
  }

  private static byte[] compress(Compression c, byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (c == Compression.BZIP2) {
      try (OutputStream o = new BZip2CompressorOutputStream(out)) {
        o.write(data);
      }
    } else {
      try (OutputStream o = c.compress(out, -1, 2)) {
        o.write(data);
      }
    }
    return out.toByteArray();
  }

  @Test
  void detectsByMagicBytes() {
    assertEquals(Compression.GZIP, Compression.detect(new byte[] {0x1f, (byte) 0x8b}, 2));
    assertEquals(
        Compression.ZSTD, Compression.detect(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}, 4));
    assertEquals(
        Compression.XZ, Compression.detect(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 0}, 6));
    assertEquals(Compression.BZIP2, Compression.detect(new byte[] {'B', 'Z', 'h', '9'}, 4));
    assertEquals(Compression.NONE, Compression.detect(TarBuilder.tar().file("a", "").build(), 6));
  }

  @Test
  void shortOrPartialMagicIsNone() {
    assertEquals(Compression.NONE, Compression.detect(new byte[0], 0));
    assertEquals(Compression.NONE, Compression.detect(new byte[] {0x1f, (byte) 0x8b}, 1));
    assertEquals(Compression.NONE, Compression.detect(new byte[] {0x28, (byte) 0xb5, 0x2f, 0}, 4));
    assertEquals(
        Compression.NONE, Compression.detect(new byte[] {(byte) 0xfd, '7', 'z', 'X', 'Z', 1}, 6));
    assertEquals(Compression.NONE, Compression.detect(new byte[] {'B', 'Z', 'h'}, 2));
    assertEquals(Compression.NONE, Compression.detect(new byte[] {'B', 'Z', '0'}, 3));
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void detectsAndDecompressesRealStreams(Compression c) throws Exception {
    byte[] data = sample();
    byte[] packed = compress(c, data);
    BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(packed));

    assertEquals(c, Compression.detect(in));
    assertEquals(packed[0] & 0xff, in.read(), "detection does not consume the stream");

    try (InputStream d = Compression.decompress(new ByteArrayInputStream(packed))) {
      assertArrayEquals(data, d.readAllBytes());
    }
  }

  @Test
  void concatenatedGzipMembersDecompressCompletely() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String part : new String[] {"first ", "second"}) {
      try (GZIPOutputStream g =
          new GZIPOutputStream(out) {
            @Override
            public void close() throws IOException {
              finish(); // keep the shared stream open
            }
          }) {
        g.write(part.getBytes(StandardCharsets.US_ASCII));
      }
    }

    try (InputStream d = Compression.decompress(new ByteArrayInputStream(out.toByteArray()))) {
      assertEquals("first second", new String(d.readAllBytes(), StandardCharsets.US_ASCII));
    }
  }

  @Test
  void detectionOfAShortStreamLeavesItIntact() throws Exception {
    BufferedInputStream in = new BufferedInputStream(new ByteArrayInputStream(new byte[] {1, 2}));

    assertEquals(Compression.NONE, Compression.detect(in));
    assertArrayEquals(new byte[] {1, 2}, in.readAllBytes());
  }

  @Test
  void writingBzip2IsNotSupported() {
    assertThrows(
        IOException.class, () -> Compression.BZIP2.compress(new ByteArrayOutputStream(), -1, 1));
  }

  @Test
  void zstdAndXzAcceptLevelsAndThreads() throws Exception {
    byte[] data = sample();
    for (Compression c : new Compression[] {Compression.ZSTD, Compression.XZ}) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (OutputStream o = c.compress(out, 1, c == Compression.ZSTD ? 2 : 1)) {
        o.write(data);
      }
      try (InputStream d = c.open(new ByteArrayInputStream(out.toByteArray()))) {
        assertArrayEquals(data, d.readAllBytes(), c.id());
      }
    }
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "none, NONE",
    "gzip, GZIP",
    "GZIP, GZIP",
    "gz, GZIP",
    "zstd, ZSTD",
    "zst, ZSTD",
    "xz, XZ",
    "bzip2, BZIP2"
  })
  void parsesCommandLineIds(String id, Compression c) throws Exception {
    assertEquals(c, Compression.fromId(id));
  }

  @Test
  void unknownIdIsAUsageError() {
    UsageException e = assertThrows(UsageException.class, () -> Compression.fromId("lz4"));
    assertTrue(e.getMessage().contains("lz4"), e.getMessage());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "rootfs.tar.gz, GZIP",
    "rootfs.tgz, GZIP",
    "ROOTFS.TAR.ZST, ZSTD",
    "rootfs.tzst, ZSTD",
    "rootfs.zstd, ZSTD",
    "rootfs.tar.xz, XZ",
    "rootfs.txz, XZ",
    "rootfs.tar.bz2, BZIP2",
    "rootfs.tbz2, BZIP2",
    "rootfs.tar, NONE",
    "gz, NONE"
  })
  void infersFromFileNames(String name, Compression c) {
    assertEquals(c, Compression.fromFileName(name));
  }

  @Test
  void idsAndSuffixes() {
    assertEquals("gzip", Compression.GZIP.id());
    assertEquals(".gz", Compression.GZIP.suffix());
    assertEquals(".zst", Compression.ZSTD.suffix());
    assertEquals(".xz", Compression.XZ.suffix());
    assertEquals("", Compression.NONE.suffix());
  }
}
