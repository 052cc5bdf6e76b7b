package dev.isula.toolkit.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParallelGzipOutputStreamTest {
  private static final int BLOCK = ParallelGzipOutputStream.BLOCK;

  /** Half text, half noise: compressible, but not trivially so. */
  private static byte[] input(int size) {
    byte[] b = new byte[size];
    Random r = new Random(size);
    byte[] words =
        "lorem ipsum dolor sit amet consectetur adipiscing elit "
            .getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < size; i++) {
      b[i] = (i / 4096) % 2 == 0 ? words[(i * 7 + i / 13) % words.length] : (byte) r.nextInt();
    }
    return b;
  }

  private static byte[] gzip(byte[] data, int level, int threads) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, level, threads)) {
      // uneven writes, so blocks are filled across several calls
      int off = 0;
      int step = 1;
      while (off < data.length) {
        int n = Math.min(step, data.length - off);
        gz.write(data, off, n);
        off += n;
        step = step * 3 + 1;
      }
    }
    return out.toByteArray();
  }

  private static byte[] gunzip(byte[] gz) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    }
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(
      ints = {
        0,
        1,
        100,
        32 * 1024,
        128 * 1024 - 1,
        128 * 1024,
        128 * 1024 + 1,
        256 * 1024,
        3 * 128 * 1024 + 5,
        1024 * 1024 + 13
      })
  void decompressesWithTheJdkAndIsIndependentOfThreads(int size) throws Exception {
    byte[] data = input(size);

    byte[] single = gzip(data, 6, 1);
    byte[] four = gzip(data, 6, 4);
    byte[] three = gzip(data, 6, 3);

    assertArrayEquals(data, gunzip(single));
    assertArrayEquals(single, four, "threads=1 and threads=4 must give the same bytes");
    assertArrayEquals(single, three);
  }

  @ParameterizedTest(name = "level {0}")
  @ValueSource(ints = {0, 1, 6, 9})
  void everyLevelRoundTrips(int level) throws Exception {
    byte[] data = input(3 * BLOCK + 77);
    byte[] noise = new byte[2 * BLOCK + 3];
    new Random(level).nextBytes(noise);

    assertArrayEquals(data, gunzip(gzip(data, level, 2)));
    assertArrayEquals(noise, gunzip(gzip(noise, level, 2)), "incompressible input");
    assertArrayEquals(gzip(data, level, 1), gzip(data, level, 4));
  }

  @Test
  void headerIsFixedAndTrailerHoldsCrcAndSize() throws Exception {
    byte[] data = input(BLOCK + 1);

    byte[] gz = gzip(data, 6, 2);

    assertArrayEquals(
        new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, Arrays.copyOf(gz, 10));
    CRC32 crc = new CRC32();
    crc.update(data);
    long storedCrc = readLittleEndian(gz, gz.length - 8);
    long storedSize = readLittleEndian(gz, gz.length - 4);
    assertEquals(crc.getValue(), storedCrc);
    assertEquals(data.length, storedSize);
  }

  private static long readLittleEndian(byte[] b, int off) {
    return (b[off] & 0xffL)
        | (b[off + 1] & 0xffL) << 8
        | (b[off + 2] & 0xffL) << 16
        | (b[off + 3] & 0xffL) << 24;
  }

  @Test
  void emptyInputIsAValidEmptyGzip() throws Exception {
    byte[] gz = gzip(new byte[0], 6, 4);

    assertEquals(0, gunzip(gz).length);
    assertEquals(0, readLittleEndian(gz, gz.length - 4));
  }

  @Test
  void singleByteWritesGiveTheSameStream() throws Exception {
    byte[] data = input(BLOCK + 500);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, 6, 2)) {
      for (byte b : data) {
        gz.write(b);
      }
    }

    assertArrayEquals(gzip(data, 6, 1), out.toByteArray());
  }

  @Test
  void blocksUseThePreviousInputAsDictionary() throws Exception {
    byte[] chunk = new byte[16 * 1024];
    new Random(1).nextBytes(chunk);
    byte[] data = new byte[16 * chunk.length]; // 256 KiB: two blocks of repeated noise
    for (int i = 0; i < 16; i++) {
      System.arraycopy(chunk, 0, data, i * chunk.length, chunk.length);
    }

    byte[] gz = gzip(data, 6, 4);

    assertArrayEquals(data, gunzip(gz));
    assertTrue(
        gz.length < chunk.length + 4096,
        "the second block should refer back into the first: " + gz.length + " bytes");
  }

  @Test
  void rejectsBadLevelsAndWritesAfterClose() throws Exception {
    assertThrows(
        IllegalArgumentException.class,
        () -> new ParallelGzipOutputStream(new ByteArrayOutputStream(), 10, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new ParallelGzipOutputStream(new ByteArrayOutputStream(), -1, 1));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, 6, 2);
    gz.write(1);
    gz.close();
    int size = out.size();
    gz.close();

    assertEquals(size, out.size(), "a second close writes nothing");
    assertThrows(IOException.class, () -> gz.write(2));
  }

  // ---- the system gzip ----

  private static byte[] run(Path dir, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).start();
    byte[] stdout = p.getInputStream().readAllBytes();
    String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + stderr);
    return stdout;
  }

  @Test
  void systemGzipAcceptsAndDecompressesTheOutput(@TempDir Path tmp) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/gzip")), "gzip is not installed");
    for (int size : new int[] {0, 1, BLOCK, BLOCK + 1, 5 * BLOCK + 99}) {
      byte[] data = input(size);
      Path file = tmp.resolve("data-" + size + ".gz");
      Files.write(file, gzip(data, 6, 4));

      run(tmp, "/usr/bin/gzip", "-t", file.toString());
      byte[] out = run(tmp, "/usr/bin/gzip", "-dc", file.toString());

      assertArrayEquals(data, out, size + " bytes");
    }
  }

  @Test
  void compressionFactoryUsesIt() throws Exception {
    byte[] data = input(2 * BLOCK + 3);
    ByteArrayOutputStream a = new ByteArrayOutputStream();
    try (var out = Compression.GZIP.compress(a, -1, 4)) {
      out.write(data);
    }

    assertArrayEquals(gzip(data, 6, 1), a.toByteArray(), "the default level is 6");
  }
}
