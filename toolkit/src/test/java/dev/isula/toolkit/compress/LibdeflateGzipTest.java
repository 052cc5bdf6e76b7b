package dev.isula.toolkit.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The libdeflate gzip encoder ({@code ISULA_DEFLATE=libdeflate}), checked against libdeflate's own
 * {@code libdeflate-gzip} program (byte for byte, one member per MiB), and read back by
 * java.util.zip, GNU gzip, pigz and ISA-L's igzip. Under CI (which installs libdeflate0 and
 * libdeflate-tools) a missing library fails instead of skipping.
 */
class LibdeflateGzipTest {
  private static final int MIB = ParallelGzipOutputStream.MEMBER_BLOCK;

  @TempDir Path dir;

  @AfterEach
  void clear() {
    System.clearProperty(GzipEncoders.PROPERTY);
  }

  private static void assumeLibdeflate() {
    System.setProperty(GzipEncoders.PROPERTY, "libdeflate");
    NativeCodecs.assumeInUse(
        "the libdeflate encoder", GzipEncoders.describe(), "libdeflate", "libdeflate0");
  }

  /** Text and noise in turns: compressible, but not trivially so. */
  private static byte[] input(int size) {
    byte[] b = new byte[size];
    Random r = new Random(size);
    byte[] words =
        "lorem ipsum dolor sit amet consectetur adipiscing elit "
            .getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < size; i++) {
      b[i] = (i / 5000) % 3 == 0 ? (byte) r.nextInt() : words[(i * 7 + i / 13) % words.length];
    }
    return b;
  }

  private static byte[] ours(byte[] data, int level, int threads, String encoder)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out, level, threads, encoder)) {
      int off = 0;
      int step = 1;
      while (off < data.length) { // uneven writes that straddle the blocks
        int n = Math.min(step, data.length - off);
        gz.write(data, off, n);
        off += n;
        step = step * 3 + 1;
      }
    }
    return out.toByteArray();
  }

  private byte[] tool(byte[] input, String... command) throws IOException, InterruptedException {
    Path in = Files.write(dir.resolve("in"), input);
    Path out = dir.resolve("out");
    Process p =
        new ProcessBuilder(command)
            .redirectInput(in.toFile())
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    assertEquals(0, p.waitFor(), String.join(" ", command));
    return Files.readAllBytes(out);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 6, 9})
  void eachMebibyteIsWhatLibdeflateGzipWrites(int level) throws Exception {
    assumeLibdeflate();
    byte[] data = input(3 * MIB + 12345);
    ByteArrayOutputStream want = new ByteArrayOutputStream();
    for (int off = 0; off < data.length; off += MIB) {
      byte[] chunk = Arrays.copyOfRange(data, off, Math.min(data.length, off + MIB));
      want.write(tool(chunk, "libdeflate-gzip", "-" + level, "-c"));
    }
    assertArrayEquals(want.toByteArray(), ours(data, level, 2, "libdeflate"));
  }

  @Test
  void theThreadCountNeverChangesTheBytes() throws Exception {
    assumeLibdeflate();
    byte[] data = input(5 * MIB + 7);
    byte[] one = ours(data, 6, 1, "libdeflate");
    assertArrayEquals(one, ours(data, 6, 2, "libdeflate"));
    assertArrayEquals(one, ours(data, 6, 4, "libdeflate"));
  }

  @Test
  void smallerThanZlibAtTheSameLevel() throws Exception {
    assumeLibdeflate();
    byte[] data = input(4 * MIB);
    byte[] lib = ours(data, 6, 2, "libdeflate");
    byte[] zlib = ours(data, 6, 2, "zlib");
    assertTrue(lib.length < zlib.length, lib.length + " >= " + zlib.length);
  }

  @Test
  void everyGunzipReadsAllMembers() throws Exception {
    assumeLibdeflate();
    byte[] data = input(3 * MIB + 1);
    byte[] gz = ours(data, 6, 2, "libdeflate");
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      assertArrayEquals(data, in.readAllBytes(), "java.util.zip");
    }
    try (InputStream in = GzipDecoders.open(new ByteArrayInputStream(gz))) {
      assertArrayEquals(data, in.readAllBytes(), GzipDecoders.describe());
    }
    for (List<String> cmd :
        List.of(List.of("gzip", "-dc"), List.of("pigz", "-dc"), List.of("igzip", "-dc"))) {
      assertArrayEquals(data, tool(gz, cmd.toArray(String[]::new)), String.join(" ", cmd));
    }
  }

  @Test
  void noInputIsOneEmptyMember() throws Exception {
    assumeLibdeflate();
    byte[] gz = ours(new byte[0], 6, 2, "libdeflate");
    assertArrayEquals(tool(new byte[0], "libdeflate-gzip", "-6", "-c"), gz);
    assertArrayEquals(new byte[0], tool(gz, "gzip", "-dc"));
  }

  @Test
  void theSettingChoosesAndZlibStaysTheDefault() throws Exception {
    byte[] data = input(MIB / 3);
    System.clearProperty(GzipEncoders.PROPERTY);
    assumeTrue(System.getenv(GzipEncoders.ENV) == null, GzipEncoders.ENV + " is set");
    assertEquals("zlib", GzipEncoders.choice());
    ByteArrayOutputStream byDefault = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(byDefault, 6, 2)) {
      gz.write(data);
    }
    assertArrayEquals(ours(data, 6, 2, "zlib"), byDefault.toByteArray());

    System.setProperty(GzipEncoders.PROPERTY, "fastest");
    IOException e =
        assertThrows(IOException.class, () -> new ParallelGzipOutputStream(byDefault, 6, 2));
    assertEquals(GzipEncoders.ENV + "='fastest' is not one of zlib, libdeflate", e.getMessage());

    assumeLibdeflate();
    ByteArrayOutputStream chosen = new ByteArrayOutputStream();
    try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(chosen, 6, 2)) {
      gz.write(data);
    }
    assertArrayEquals(ours(data, 6, 2, "libdeflate"), chosen.toByteArray());
  }
}
