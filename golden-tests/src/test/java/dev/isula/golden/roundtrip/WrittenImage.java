package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/**
 * An image as the toolkit wrote it, read back without the toolkit's readers: archives with
 * commons-compress, JSON with a plain Jackson mapper, digests with {@link MessageDigest}. Reading
 * checks every descriptor against the bytes it names: manifest, config and layer digests and sizes,
 * DiffIDs against the uncompressed layers, and a docker-archive's config file name against its
 * content.
 */
record WrittenImage(
    String where,
    byte[] configBytes,
    ObjectNode config,
    ObjectNode manifest,
    JsonNode dockerManifest,
    List<Layer> layers) {

  static final ObjectMapper JSON = new ObjectMapper();

  /** One layer: its media type (null in a docker-archive), stored bytes and uncompressed tar. */
  record Layer(String mediaType, byte[] blob, byte[] tar) {}

  /** Where an import can write, and how to name such a target. */
  enum Target {
    DOCKER_ARCHIVE("docker-archive") {
      @Override
      String ref(Path dir, String base) {
        return "docker-archive:" + dir.resolve(base + ".tar");
      }

      @Override
      WrittenImage read(Path dir, String base) throws Exception {
        return readDockerArchive(dir.resolve(base + ".tar"));
      }

      @Override
      Path path(Path dir, String base) {
        return dir.resolve(base + ".tar");
      }
    },
    OCI("oci") {
      @Override
      String ref(Path dir, String base) {
        return "oci:" + dir.resolve(base + "-layout") + ":" + TAG;
      }

      @Override
      WrittenImage read(Path dir, String base) throws Exception {
        return readOciLayout(dir.resolve(base + "-layout"), TAG);
      }

      @Override
      Path path(Path dir, String base) {
        return dir.resolve(base + "-layout");
      }
    },
    OCI_ARCHIVE("oci-archive") {
      @Override
      String ref(Path dir, String base) {
        return "oci-archive:" + dir.resolve(base + "-oci.tar") + ":" + TAG;
      }

      @Override
      WrittenImage read(Path dir, String base) throws Exception {
        return readOciArchive(dir.resolve(base + "-oci.tar"), TAG);
      }

      @Override
      Path path(Path dir, String base) {
        return dir.resolve(base + "-oci.tar");
      }
    };

    static final String TAG = "rt";
    final String label;

    Target(String label) {
      this.label = label;
    }

    /** The reference to write (and read) the image {@code base} under {@code dir}. */
    abstract String ref(Path dir, String base);

    /** Reads back what was written to {@link #ref}. */
    abstract WrittenImage read(Path dir, String base) throws Exception;

    /** The file or directory {@link #ref} names. */
    abstract Path path(Path dir, String base);

    @Override
    public String toString() {
      return label;
    }
  }

  /** {@code sha256:HEX} of the config: the image id import prints. */
  String imageId() {
    return "sha256:" + sha256(configBytes);
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** All files of a tar (directories left out), by name without a leading {@code ./}. */
  static Map<String, byte[]> tarFiles(byte[] tar) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        if (e.isFile()) {
          String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
          files.put(name, in.readAllBytes());
        }
      }
    }
    return files;
  }

  static WrittenImage readDockerArchive(Path file) throws Exception {
    Map<String, byte[]> files = tarFiles(Files.readAllBytes(file));
    String where = "docker-archive " + file;
    byte[] manifestBytes = files.get("manifest.json");
    assertNotNull(manifestBytes, where + ": no manifest.json");
    JsonNode manifest = JSON.readTree(manifestBytes);
    assertEquals(1, manifest.size(), where + ": manifest.json should list one image");
    JsonNode m = manifest.get(0);
    String configName = m.get("Config").asText();
    byte[] config = files.get(configName);
    assertNotNull(config, where + ": no " + configName);
    assertEquals(
        sha256(config) + ".json",
        configName.substring(configName.lastIndexOf('/') + 1),
        where + ": the config file must be named by its digest");
    ObjectNode cfg = (ObjectNode) JSON.readTree(config);
    List<Layer> layers = new ArrayList<>();
    for (JsonNode l : m.get("Layers")) {
      byte[] blob = files.get(l.asText());
      assertNotNull(blob, where + ": no " + l.asText());
      layers.add(new Layer(null, blob, decompress(blob)));
    }
    checkDiffIds(where, cfg, layers);
    return new WrittenImage(where, config, cfg, null, manifest, layers);
  }

  static WrittenImage readOciLayout(Path dir, String tag) throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (var s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return readOci("oci " + dir, files, tag);
  }

  static WrittenImage readOciArchive(Path file, String tag) throws Exception {
    return readOci("oci-archive " + file, tarFiles(Files.readAllBytes(file)), tag);
  }

  private static WrittenImage readOci(String where, Map<String, byte[]> files, String tag)
      throws Exception {
    assertNotNull(files.get("oci-layout"), where + ": no oci-layout");
    assertEquals(
        "1.0.0",
        JSON.readTree(files.get("oci-layout")).path("imageLayoutVersion").asText(),
        where + ": oci-layout");
    JsonNode index = JSON.readTree(files.get("index.json"));
    assertEquals(2, index.path("schemaVersion").asInt(), where + ": index schemaVersion");
    JsonNode chosen = null;
    for (JsonNode d : index.get("manifests")) {
      if (tag.equals(d.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        assertTrue(chosen == null, where + ": tag " + tag + " appears twice in index.json");
        chosen = d;
      }
    }
    assertNotNull(chosen, where + ": no manifest tagged " + tag + " in " + index);
    assertEquals("application/vnd.oci.image.manifest.v1+json", chosen.get("mediaType").asText());
    byte[] manifestBytes = blob(where, files, chosen);
    ObjectNode manifest = (ObjectNode) JSON.readTree(manifestBytes);
    assertEquals(2, manifest.path("schemaVersion").asInt(), where + ": manifest schemaVersion");
    assertEquals(
        "application/vnd.oci.image.config.v1+json",
        manifest.path("config").path("mediaType").asText(),
        where + ": config media type");
    byte[] config = blob(where, files, manifest.get("config"));
    ObjectNode cfg = (ObjectNode) JSON.readTree(config);
    List<Layer> layers = new ArrayList<>();
    for (JsonNode d : manifest.get("layers")) {
      byte[] blob = blob(where, files, d);
      layers.add(new Layer(d.get("mediaType").asText(), blob, decompress(blob)));
    }
    checkDiffIds(where, cfg, layers);
    return new WrittenImage(where, config, cfg, manifest, null, layers);
  }

  /** The blob a descriptor names, after checking its digest and size. */
  private static byte[] blob(String where, Map<String, byte[]> files, JsonNode descriptor) {
    String digest = descriptor.get("digest").asText();
    assertTrue(digest.startsWith("sha256:"), where + ": digest " + digest);
    String hex = digest.substring("sha256:".length());
    byte[] b = files.get("blobs/sha256/" + hex);
    assertNotNull(b, where + ": missing blob " + digest);
    assertEquals(hex, sha256(b), where + ": blob " + digest + " does not match its name");
    assertEquals(descriptor.get("size").asLong(), b.length, where + ": size of " + digest);
    return b;
  }

  private static void checkDiffIds(String where, ObjectNode cfg, List<Layer> layers) {
    JsonNode ids = cfg.path("rootfs").path("diff_ids");
    assertEquals("layers", cfg.path("rootfs").path("type").asText(), where + ": rootfs.type");
    assertEquals(layers.size(), ids.size(), where + ": one DiffID per layer");
    for (int i = 0; i < layers.size(); i++) {
      assertEquals(
          "sha256:" + sha256(layers.get(i).tar()),
          ids.get(i).asText(),
          where + ": DiffID of layer " + i + " must be the digest of its uncompressed tar");
    }
  }

  /** The kind of compression, by magic bytes: "gzip", "zstd" or "none". */
  static String compressionOf(byte[] b) {
    if (b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) {
      return "gzip";
    }
    if (b.length >= 4
        && (b[0] & 0xff) == 0x28
        && (b[1] & 0xff) == 0xb5
        && (b[2] & 0xff) == 0x2f
        && (b[3] & 0xff) == 0xfd) {
      return "zstd";
    }
    return "none";
  }

  static byte[] decompress(byte[] blob) throws IOException {
    InputStream in =
        switch (compressionOf(blob)) {
          case "gzip" -> new GzipCompressorInputStream(new ByteArrayInputStream(blob), true);
          case "zstd" -> new ZstdCompressorInputStream(new ByteArrayInputStream(blob));
          default -> new ByteArrayInputStream(blob);
        };
    try (in) {
      return in.readAllBytes();
    }
  }
}
