package dev.isula.toolkit.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.compress.Compression;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decompression limits: total size, expansion ratio, settings. */
class ExpansionLimitTest {
  @AfterEach
  void clear() {
    System.clearProperty(ExpansionLimit.MAX_BYTES_PROPERTY);
    System.clearProperty(ExpansionLimit.MAX_RATIO_PROPERTY);
  }

  /** An endless stream of zeros. */
  private static InputStream zeros() {
    return new InputStream() {
      @Override
      public int read() {
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        java.util.Arrays.fill(b, off, off + len, (byte) 0);
        return len;
      }
    };
  }

  private static long drain(InputStream in) throws IOException {
    byte[] buf = new byte[1 << 20];
    long total = 0;
    int n;
    while ((n = in.read(buf)) >= 0) {
      total += n;
    }
    return total;
  }

  @Test
  void uncompressedStreamsAreNotWrapped() throws IOException {
    InputStream in = new ByteArrayInputStream(new byte[10]);
    assertSame(in, ExpansionLimit.wrap(Compression.NONE, in, () -> 0, "x"));
  }

  @Test
  void totalSizeIsCapped() throws IOException {
    System.setProperty(ExpansionLimit.MAX_BYTES_PROPERTY, "3m");
    InputStream in = ExpansionLimit.wrap(Compression.GZIP, zeros(), () -> 1 << 20, "layer 1/1");
    ExpansionLimit.Exceeded e = assertThrows(ExpansionLimit.Exceeded.class, () -> drain(in));
    assertEquals(
        "layer 1/1: decompresses to more than 3.0 MiB (the limit; set ISULA_MAX_LAYER_BYTES to"
            + " raise it)",
        e.reason().getMessage());
  }

  @Test
  void ratioIsCheckedAfterTheFirstGibibyte() throws IOException {
    InputStream in = ExpansionLimit.wrap(Compression.ZSTD, zeros(), () -> 1 << 20, null);
    ExpansionLimit.Exceeded e = assertThrows(ExpansionLimit.Exceeded.class, () -> drain(in));
    assertTrue(
        e.getMessage().startsWith("expands 1025-fold (1.0 MiB to more than 1.0 GiB)"),
        e.getMessage());
    System.setProperty(ExpansionLimit.MAX_RATIO_PROPERTY, "0");
    System.setProperty(ExpansionLimit.MAX_BYTES_PROPERTY, "1100m");
    InputStream off = ExpansionLimit.wrap(Compression.ZSTD, zeros(), () -> 1 << 20, null);
    ExpansionLimit.Exceeded size = assertThrows(ExpansionLimit.Exceeded.class, () -> drain(off));
    assertTrue(size.getMessage().contains("more than 1.1 GiB"), size.getMessage());
  }

  @Test
  void decompressSniffsAndLimits() throws IOException {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    try (OutputStream g = new GZIPOutputStream(bo)) {
      g.write(new byte[5 << 20]);
    }
    System.setProperty(ExpansionLimit.MAX_BYTES_PROPERTY, "4m");
    InputStream in =
        ExpansionLimit.decompress(new ByteArrayInputStream(bo.toByteArray()), 4096, "bomb.gz");
    ExpansionLimit.Exceeded e = assertThrows(ExpansionLimit.Exceeded.class, () -> drain(in));
    assertTrue(e.getMessage().startsWith("bomb.gz: decompresses to more than 4.0 MiB"));
    System.setProperty(ExpansionLimit.MAX_BYTES_PROPERTY, "5m");
    assertEquals(
        5 << 20,
        drain(ExpansionLimit.decompress(new ByteArrayInputStream(bo.toByteArray()), 4096, "x")));
  }

  @Test
  void badSettingsAreReported() {
    System.setProperty(ExpansionLimit.MAX_BYTES_PROPERTY, "lots");
    IOException e =
        assertThrows(
            IOException.class, () -> ExpansionLimit.wrap(Compression.GZIP, zeros(), () -> 1, "x"));
    assertTrue(e.getMessage().contains("isula.toolkit.maxLayerBytes='lots' is not a size"));
  }
}
