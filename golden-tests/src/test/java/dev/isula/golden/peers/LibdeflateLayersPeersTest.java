package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isula.golden.CliRun;
import dev.isula.toolkit.compress.GzipEncoders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A layer that {@code import} writes with {@code ISULA_DEFLATE=libdeflate} (several gzip members)
 * is read by Go, as umoci unpacks it, and holds the same tar as the zlib layer of the same rootfs:
 * same DiffID, same tree as GNU tar's extraction of the rootfs, same export.
 */
@Tag("peers")
class LibdeflateLayersPeersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void requireTools() {
    Tools.requireThat(Tools.isRoot(), "must run as root (umoci keeping owners)");
    Tools.require("umoci", "tar");
    assumeTrue(Runtime.version().feature() >= 22, "the libdeflate encoder needs Java 22+");
    System.setProperty(GzipEncoders.PROPERTY, "libdeflate");
    try {
      String d = GzipEncoders.describe();
      Tools.requireThat(d.startsWith("libdeflate"), "libdeflate usable (" + d + ")");
    } finally {
      System.clearProperty(GzipEncoders.PROPERTY);
    }
  }

  @AfterEach
  void clear() {
    System.clearProperty(GzipEncoders.PROPERTY);
  }

  /** About 6 MiB of files: text, noise, a symlink and a hardlink, owned by several users. */
  private static Path rootfs(Path root) throws IOException {
    Path tree = Files.createDirectories(root.resolve("tree"));
    Random r = new Random(48);
    byte[] words = "isula layer deflate member rootfs ".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < 30; i++) {
      byte[] b = new byte[100_000 + r.nextInt(200_000)];
      for (int k = 0; k < b.length; k++) {
        b[k] = i % 4 == 0 ? (byte) r.nextInt() : words[(k + k / 97) % words.length];
      }
      Path dir = Files.createDirectories(tree.resolve("d" + (i % 5)));
      Files.write(dir.resolve("f" + i), b);
    }
    Files.createSymbolicLink(tree.resolve("link"), Path.of("d0/f0"));
    Files.createLink(tree.resolve("d1/hard"), tree.resolve("d1/f1"));
    Tools.run(List.of("chown", "1000:1000", tree.resolve("d2").toString()), root);
    Path tar = root.resolve("rootfs.tar");
    Tools.run(List.of("tar", "--xattrs", "-cf", tar.toString(), "-C", tree.toString(), "."), root);
    return tar;
  }

  private static CliRun isula(String encoder, String... args) {
    System.setProperty(GzipEncoders.PROPERTY, encoder);
    try {
      return CliRun.isula(args);
    } finally {
      System.clearProperty(GzipEncoders.PROPERTY);
    }
  }

  private static JsonNode blob(Path layout, String digest) throws IOException {
    return JSON.readTree(layout.resolve("blobs/sha256/" + digest.substring(7)).toFile());
  }

  /** The layer's digest and size and the config's DiffID of the one-layer image at layout:t. */
  private static List<String> layer(Path layout) throws IOException {
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    JsonNode manifest = blob(layout, index.path("manifests").path(0).path("digest").asText());
    JsonNode l = manifest.path("layers").path(0);
    JsonNode config = blob(layout, manifest.path("config").path("digest").asText());
    return List.of(
        l.path("digest").asText(),
        l.path("mediaType").asText(),
        config.path("rootfs").path("diff_ids").path(0).asText());
  }

  @Test
  void umociUnpacksTheLibdeflateLayerAndItHoldsTheZlibLayersTar() throws IOException {
    try (Scratch s = Scratch.create("isula-libdeflate-", 256L << 20)) {
      Path root = s.root;
      Path tar = rootfs(root);
      Path fast = root.resolve("fast");
      Path zlib = root.resolve("zlib");
      for (Path layout : List.of(fast, zlib)) {
        String enc = layout == fast ? "libdeflate" : "zlib";
        CliRun r = isula(enc, "import", "-q", tar.toString(), "-o", "oci:" + layout + ":t");
        assertEquals(0, r.exitCode(), enc + ": " + r);
      }
      List<String> f = layer(fast);
      List<String> z = layer(zlib);
      assertNotEquals(f.get(0), z.get(0), "the two encoders wrote the same layer bytes");
      assertEquals(z.subList(1, 3), f.subList(1, 3), "media type and DiffID");
      byte[] gz = Files.readAllBytes(fast.resolve("blobs/sha256/" + f.get(0).substring(7)));
      assertTrue(members(gz) >= 3, "a 6 MiB layer in 1 MiB members, got " + members(gz));

      // Go's gzip (umoci checks the blob digest and the DiffID) against GNU tar's extraction
      Path unpacked = root.resolve("umoci");
      Tools.run(
          List.of("umoci", "raw", "unpack", "--image", fast + ":t", unpacked.toString()), root);
      Path gnu = Files.createDirectories(root.resolve("gnu"));
      Tools.gnuTarExtract(tar, gnu, root);
      assertEquals(List.of(), TreeComparator.compare(unpacked, gnu, "GNU tar"), "umoci unpack");

      // our own reading of both layers (ISA-L or java.util.zip, member after member)
      Path a = root.resolve("fast.tar");
      Path b = root.resolve("zlib.tar");
      assertEquals(0, CliRun.isula("export", "-q", "oci:" + fast + ":t", a.toString()).exitCode());
      assertEquals(0, CliRun.isula("export", "-q", "oci:" + zlib + ":t", b.toString()).exitCode());
      assertTrue(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b)), "exports differ");
    }
  }

  /** Gzip members, counted the way gzip -l --verbose would: by inflating them one by one. */
  private static int members(byte[] gz) throws IOException {
    int count = 0;
    int at = 0;
    while (at < gz.length) {
      java.util.zip.Inflater inf = new java.util.zip.Inflater(true);
      try {
        assertTrue((gz[at] & 0xff) == 0x1f && (gz[at + 1] & 0xff) == 0x8b, "member at " + at);
        inf.setInput(gz, at + 10, gz.length - at - 10); // libdeflate writes no optional fields
        byte[] sink = new byte[1 << 16];
        while (!inf.finished()) {
          if (inf.inflate(sink) == 0 && inf.needsInput()) {
            throw new IOException("truncated member at " + at);
          }
        }
        at = gz.length - inf.getRemaining() + 8; // the CRC-32 and size trailer
        count++;
      } catch (java.util.zip.DataFormatException e) {
        throw new IOException("bad member at " + at, e);
      } finally {
        inf.end();
      }
    }
    return count;
  }
}
