package dev.isula.toolkit.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ISA-L inflater against java.util.zip: the same bytes for every valid stream (from Java,
 * commons-compress with every header field, and the real gzip, pigz and igzip), and an error from
 * both for every broken one.
 */
class GzipDecodersTest {
  @TempDir Path dir;

  @AfterEach
  void reset() {
    System.clearProperty(GzipDecoders.PROPERTY);
  }

  /** Whether this JVM should have ISA-L; under CI a missing library fails instead of skipping. */
  private static void assumeNative() {
    System.setProperty(GzipDecoders.PROPERTY, "auto");
    NativeCodecs.assumeInUse("ISA-L inflate", GzipDecoders.describe(), "ISA-L", "libisal2");
  }

  private static byte[] inflate(String mode, byte[] gz, int readSize) throws IOException {
    System.setProperty(GzipDecoders.PROPERTY, mode);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = GzipDecoders.open(new ByteArrayInputStream(gz))) {
      byte[] buf = new byte[readSize];
      int n;
      while ((n = in.read(buf, 0, buf.length)) >= 0) {
        out.write(buf, 0, n);
      }
    }
    return out.toByteArray();
  }

  private static byte[] sample(int size, long seed) {
    Random r = new Random(seed);
    byte[] b = new byte[size];
    String words = "usr/lib/x86_64-linux-gnu libc.so.6 etc/passwd root:x:0:0 ";
    for (int i = 0; i < size; i++) {
      b[i] =
          (i / 4096) % 3 == 0 ? (byte) r.nextInt() : (byte) words.charAt(r.nextInt(words.length()));
    }
    return b;
  }

  private static byte[] javaGzip(byte[]... members) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] m : members) {
      ByteArrayOutputStream one = new ByteArrayOutputStream();
      try (GZIPOutputStream z = new GZIPOutputStream(one)) {
        z.write(m);
      }
      all.write(one.toByteArray());
    }
    return all.toByteArray();
  }

  private byte[] tool(byte[] input, String... command) throws IOException, InterruptedException {
    Path in = dir.resolve("in");
    Path out = dir.resolve("out.gz");
    Files.write(in, input);
    Process p =
        new ProcessBuilder(command)
            .redirectInput(in.toFile())
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    assertEquals(0, p.waitFor(), String.join(" ", command));
    return Files.readAllBytes(out);
  }

  private List<byte[]> validStreams() throws Exception {
    List<byte[]> all = new ArrayList<>();
    byte[] big = sample(3 << 20, 1);
    all.add(javaGzip(new byte[0]));
    all.add(javaGzip(new byte[] {42}));
    all.add(javaGzip(big));
    all.add(javaGzip(sample(1000, 2), new byte[0], sample(700_000, 3), sample(10, 4)));
    ByteArrayOutputStream headers = new ByteArrayOutputStream();
    GzipParameters p = new GzipParameters();
    p.setFileName("layer.tar");
    p.setComment("a comment");
    p.setHeaderCRC(true);
    p.setModificationTime(1_700_000_000_000L);
    try (OutputStream z = new GzipCompressorOutputStream(headers, p)) {
      z.write(sample(300_000, 5));
    }
    all.add(headers.toByteArray());
    byte[] text = "hello ".repeat(200_000).getBytes(StandardCharsets.US_ASCII);
    all.add(tool(big, "gzip", "-9", "-c"));
    all.add(tool(text, "gzip", "-1", "-c"));
    if (ProcessHandleExists.onPath("pigz")) {
      all.add(tool(big, "pigz", "-p", "2", "-6", "-c"));
    }
    if (ProcessHandleExists.onPath("igzip")) {
      all.add(tool(big, "igzip", "-3", "-c"));
      all.add(tool(text, "igzip", "-0", "-c"));
    }
    return all;
  }

  @Test
  void nativeAndJavaInflateEveryValidStreamToTheSameBytes() throws Exception {
    assumeNative();
    for (byte[] gz : validStreams()) {
      byte[] want = inflate("java", gz, 65536);
      for (int readSize : new int[] {1 << 20, 65536, 4093, 1}) {
        if (readSize == 1 && want.length > 100_000) {
          continue;
        }
        assertArrayEquals(want, inflate("isal", gz, readSize), "read size " + readSize);
      }
    }
  }

  @Test
  void brokenStreamsFailWithBothInflaters() throws Exception {
    assumeNative();
    byte[] good = javaGzip(sample(200_000, 7), sample(5000, 8));
    List<byte[]> broken = new ArrayList<>();
    for (int cut :
        new int[] {1, 2, 9, 10, 11, 100, good.length / 2, good.length - 9, good.length - 1}) {
      broken.add(Arrays.copyOf(good, cut));
    }
    byte[] crc = good.clone();
    crc[crc.length - 6] ^= 1; // CRC-32 of the second member
    broken.add(crc);
    byte[] size = good.clone();
    size[size.length - 2] ^= 1; // ISIZE of the second member
    broken.add(size);
    byte[] data = good.clone();
    data[data.length / 3] ^= 0x55;
    broken.add(data);
    byte[] garbage = Arrays.copyOf(good, good.length + 3);
    garbage[good.length] = 'x';
    broken.add(garbage);
    byte[] magic = good.clone();
    magic[0] = 0x1e;
    broken.add(magic);
    for (byte[] b : broken) {
      assertThrows(IOException.class, () -> inflate("java", b, 65536), "java.util.zip");
      assertThrows(IOException.class, () -> inflate("isal", b, 65536), "ISA-L");
    }
  }

  @Test
  void everySingleByteChangeOfAHeaderAndTrailerIsTreatedAlike() throws Exception {
    assumeNative();
    byte[] good =
        javaGzip(
            "some text, some text, some text\n".repeat(100).getBytes(StandardCharsets.US_ASCII));
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      positions.add(i);
      positions.add(good.length - 1 - i);
    }
    for (int pos : positions) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] b = good.clone();
        b[pos] ^= (byte) (1 << bit);
        byte[] j = outcome("java", b);
        byte[] n = outcome("isal", b);
        assertEquals(
            j == null, n == null, "byte " + pos + " bit " + bit + ": one inflater accepts it");
        if (j != null) {
          assertArrayEquals(j, n, "byte " + pos + " bit " + bit);
        }
      }
    }
  }

  private static byte[] outcome(String mode, byte[] gz) {
    try {
      return inflate(mode, gz, 65536);
    } catch (IOException e) {
      return null;
    }
  }

  @Test
  void javaIsUsedWhenChosenAndAnUnknownChoiceIsAnError() throws Exception {
    System.setProperty(GzipDecoders.PROPERTY, "java");
    assertTrue(GzipDecoders.describe().startsWith("java.util.zip"), GzipDecoders.describe());
    System.setProperty(GzipDecoders.PROPERTY, "fastest");
    IOException e =
        assertThrows(IOException.class, () -> inflate("fastest", javaGzip(new byte[1]), 10));
    assertTrue(e.getMessage().contains("auto, isal, java"), e.getMessage());
  }

  @Test
  void onJava17TheFallbackSaysWhy() throws Exception {
    assumeTrue(Runtime.version().feature() < 22);
    System.setProperty(GzipDecoders.PROPERTY, "auto");
    assertEquals(
        "java.util.zip (ISA-L not used: needs Java 22 or newer, this is Java "
            + Runtime.version().feature()
            + ")",
        GzipDecoders.describe());
    IOException e =
        assertThrows(IOException.class, () -> inflate("isal", javaGzip(new byte[1]), 10));
    assertTrue(e.getMessage().contains("needs Java 22"), e.getMessage());
    assertFalse(inflate("auto", javaGzip(new byte[] {1, 2}), 10).length != 2);
  }

  /** Whether a command is on PATH (pigz and igzip are test dependencies, but optional here). */
  private static final class ProcessHandleExists {
    static boolean onPath(String name) {
      for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
        if (Files.isExecutable(Path.of(d, name))) {
          return true;
        }
      }
      if ("true".equals(System.getenv("CI"))) {
        fail(name + " is not installed (scripts/install-test-deps.sh installs it)");
      }
      return false;
    }
  }
}
