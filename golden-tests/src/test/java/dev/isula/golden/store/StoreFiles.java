package dev.isula.golden.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.BufferedInputStream;
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
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Reads a store's files directly, independently of the store code: index.json, the blobs its
 * manifests refer to, the blob files present and leftovers of interrupted writes.
 */
final class StoreFiles {
  private StoreFiles() {}

  /** index.json, parsed; fails if it is missing or not a JSON object with a manifests array. */
  static JsonNode index(Path root) throws IOException {
    Path f = root.resolve("index.json");
    assertTrue(Files.isRegularFile(f), root + ": no index.json");
    JsonNode index;
    try {
      index = Json.mapper().readTree(Files.readAllBytes(f));
    } catch (IOException e) {
      throw new AssertionError(root + ": index.json is not valid JSON: " + e.getMessage(), e);
    }
    assertTrue(index != null && index.isObject(), root + ": index.json is not an object");
    assertTrue(index.path("manifests").isArray(), root + ": index.json has no manifests array");
    return index;
  }

  /** Names (ref.name annotations) to manifest digests, in index order. */
  static Map<String, String> names(Path root) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (JsonNode m : index(root).get("manifests")) {
      String ref = m.path("annotations").path("org.opencontainers.image.ref.name").asText(null);
      if (ref != null) {
        out.put(ref, m.path("digest").asText());
      }
    }
    return out;
  }

  static Path blobDir(Path root) {
    return root.resolve("blobs").resolve("sha256");
  }

  static Path blob(Path root, String digest) {
    return blobDir(root).resolve(digest.startsWith("sha256:") ? digest.substring(7) : digest);
  }

  /** A blob's bytes (digest with or without {@code sha256:}). */
  static byte[] readBlob(Path root, String digest) throws IOException {
    return Files.readAllBytes(blob(root, digest));
  }

  /** The blob files (hex names), without leftovers of interrupted writes. */
  static Set<String> blobFiles(Path root) throws IOException {
    Set<String> out = new TreeSet<>();
    if (!Files.isDirectory(blobDir(root))) {
      return out;
    }
    try (Stream<Path> s = Files.list(blobDir(root))) {
      s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).forEach(out::add);
    }
    return out;
  }

  /** {@code blobs/sha256/.tmp-*.partial} and {@code .index.json.*.partial} files. */
  static List<String> leftovers(Path root) throws IOException {
    List<String> out = new ArrayList<>();
    if (Files.isDirectory(blobDir(root))) {
      try (Stream<Path> s = Files.list(blobDir(root))) {
        s.map(p -> p.getFileName().toString())
            .filter(n -> n.startsWith("."))
            .forEach(n -> out.add("blobs/sha256/" + n));
      }
    }
    try (Stream<Path> s = Files.list(root)) {
      s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".partial")).forEach(out::add);
    }
    return out;
  }

  /** The blobs of one manifest: itself, its config and its layers (hex). */
  static Set<String> blobsOf(Path root, String manifestDigest) throws IOException {
    Set<String> out = new TreeSet<>();
    out.add(hex(manifestDigest));
    JsonNode m = Json.mapper().readTree(readBlob(root, manifestDigest));
    out.add(hex(m.path("config").path("digest").asText()));
    for (JsonNode l : m.path("layers")) {
      out.add(hex(l.path("digest").asText()));
    }
    return out;
  }

  /** Every blob the index refers to, through its manifests (hex). */
  static Set<String> referenced(Path root) throws IOException {
    Set<String> out = new TreeSet<>();
    for (JsonNode e : index(root).get("manifests")) {
      String d = e.path("digest").asText();
      assertTrue(
          Files.isRegularFile(blob(root, d)),
          root + ": index.json refers to missing manifest " + d);
      out.addAll(blobsOf(root, d));
    }
    return out;
  }

  static String hex(String digest) {
    return digest.startsWith("sha256:") ? digest.substring(7) : digest;
  }

  /**
   * The store is readable: index.json is valid, and every blob it refers to (manifests, configs,
   * layers) is there, with the size its descriptor gives and the content its digest names.
   */
  static void assertIntact(Path root) throws IOException {
    for (JsonNode e : index(root).get("manifests")) {
      String d = e.path("digest").asText();
      checkBlob(root, d, e.path("size").asLong(-1), "manifest of index entry " + e);
      JsonNode m = Json.mapper().readTree(readBlob(root, d));
      JsonNode c = m.path("config");
      checkBlob(root, c.path("digest").asText(), c.path("size").asLong(-1), "config of " + d);
      for (JsonNode l : m.path("layers")) {
        checkBlob(root, l.path("digest").asText(), l.path("size").asLong(-1), "layer of " + d);
      }
    }
  }

  private static void checkBlob(Path root, String digest, long size, String what)
      throws IOException {
    Path p = blob(root, digest);
    if (!Files.isRegularFile(p)) {
      fail(root + ": missing blob " + digest + " (" + what + ")");
    }
    assertEquals(size, Files.size(p), root + ": size of blob " + digest + " (" + what + ")");
    assertEquals(hex(digest), sha256(p), root + ": content of blob " + digest + " (" + what + ")");
  }

  static String sha256(Path file) throws IOException {
    MessageDigest md = Digest.newSha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** The regular files of a tar archive (name without a leading ./ to content), in order. */
  static Map<String, byte[]> tarFiles(Path tar) throws Exception {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tar))) {
      TarReader r = new TarReader(in);
      for (TarEntry e; (e = r.next()) != null; ) {
        if (e.isFile()) {
          String n = e.name().startsWith("./") ? e.name().substring(2) : e.name();
          out.put(n, r.content().readAllBytes());
        }
      }
    }
    return out;
  }

  /** Intact, and nothing else: no unreferenced blob, no leftover of an interrupted write. */
  static void assertClean(Path root) throws IOException {
    assertIntact(root);
    assertEquals(List.of(), leftovers(root), root + ": leftovers of interrupted writes");
    assertEquals(referenced(root), blobFiles(root), root + ": blob files besides the referenced");
  }
}
