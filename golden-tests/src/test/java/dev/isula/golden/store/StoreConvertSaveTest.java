package dev.isula.golden.store;

import static dev.isula.golden.store.StoreCli.export;
import static dev.isula.golden.store.StoreCli.names;
import static dev.isula.golden.store.StoreCli.ok;
import static dev.isula.golden.store.StoreCli.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert} between OCI layouts and the store (manifest digests kept when nothing changes,
 * layers re-compressed on request) and {@code save} of several images into one archive.
 */
class StoreConvertSaveTest {
  @TempDir Path tmp;

  Path root;

  static final byte[] BASE = StoreImages.layer("base", "the base layer\n", "shared\n");

  /** Layers stored plain, gzip'd and zstd'd. */
  static final TestImage MIXED =
      TestImage.image()
          .env("IMAGE", "mixed")
          .layer(BASE, Compression.NONE)
          .layer(StoreImages.layer("gz", "gzip'd layer\n"), Compression.GZIP)
          .layer(StoreImages.layer("zst", "zstd'd layer\n"), Compression.ZSTD);

  static final TestImage A = StoreImages.image("a", BASE, StoreImages.layer("a", "only in a\n"));
  static final TestImage B = StoreImages.image("b", BASE, StoreImages.layer("b", "only in b\n"));

  @BeforeEach
  void store() {
    root = tmp.resolve("store");
  }

  private byte[] exportOf(String ref) throws Exception {
    return export(root, ref, tmp);
  }

  /** The one manifest digest an OCI layout's index.json names {@code ref}. */
  private static String layoutDigest(Path layout, String ref) throws Exception {
    String found = null;
    for (JsonNode m :
        Json.mapper().readTree(layout.resolve("index.json").toFile()).get("manifests")) {
      if (ref.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        assertEquals(null, found, layout + ": two entries named " + ref);
        found = m.path("digest").asText();
      }
    }
    assertTrue(found != null, layout + ": nothing named " + ref);
    return found;
  }

  private static JsonNode layoutManifest(Path layout, String ref) throws Exception {
    String d = layoutDigest(layout, ref);
    return Json.mapper().readTree(layout.resolve("blobs/sha256/" + d.substring(7)).toFile());
  }

  // ------------------------------------------------------------------ convert

  @Test
  void convertOciToOciKeepsTheManifestDigest() throws Exception {
    Path src = MIXED.writeOciLayout(tmp.resolve("src"), "v1");
    String digest = Digest.sha256(MIXED.manifestBytes()).toString();
    Path dst = tmp.resolve("dst");
    ok("convert", "-q", "oci:" + src + ":v1", "oci:" + dst + ":v2");
    assertEquals(digest, layoutDigest(dst, "v2"));
    for (String hex : MIXED.blobs().keySet()) {
      assertArrayEquals(
          Files.readAllBytes(src.resolve("blobs/sha256/" + hex)),
          Files.readAllBytes(dst.resolve("blobs/sha256/" + hex)),
          "blob " + hex + " copied unchanged");
    }
  }

  @Test
  void convertFromTheStoreToOciKeepsTheManifestDigest() throws Exception {
    Path src = MIXED.writeOciLayout(tmp.resolve("src"), "mixed:1");
    ok(root, "load", "-q", "-i", "oci:" + src);
    String stored = StoreCli.image(root, "mixed:1").path("Digest").asText();
    assertEquals(Digest.sha256(MIXED.manifestBytes()).toString(), stored, "load keeps it too");

    Path dst = tmp.resolve("dst");
    ok(root, "convert", "-q", "mixed:1", "oci:" + dst + ":out");
    assertEquals(stored, layoutDigest(dst, "out"));

    // an image loaded from a docker-archive (plain layers, a manifest built by the store)
    Path archive = StoreImages.dockerArchive(tmp.resolve("a.tar"), A, "a:1");
    ok(root, "load", "-q", "-i", archive.toString());
    String storedA = StoreCli.image(root, "a:1").path("Digest").asText();
    ok(root, "convert", "-q", StoreImages.id(A).substring(7, 19), "oci:" + dst + ":a");
    assertEquals(storedA, layoutDigest(dst, "a"));
    assertEquals(stored, layoutDigest(dst, "out"), "the other entry stays");

    // and back: oci -> store -> oci, the same manifest again
    Path dst2 = tmp.resolve("dst2");
    ok(root, "convert", "-q", "oci:" + dst + ":a", "store:a-again:1");
    assertEquals(storedA, StoreCli.image(root, "a-again:1").path("Digest").asText());
    ok(root, "convert", "-q", "a-again:1", "oci:" + dst2 + ":a");
    assertEquals(storedA, layoutDigest(dst2, "a"));
    StoreFiles.assertClean(root);
  }

  @Test
  void convertWithCompressZstdRecompressesEveryLayer() throws Exception {
    Path src = MIXED.writeOciLayout(tmp.resolve("src"), "v1");
    Path dst = tmp.resolve("zstd");
    ok("convert", "-q", "--compress", "zstd", "oci:" + src + ":v1", "oci:" + dst + ":v1");
    JsonNode m = layoutManifest(dst, "v1");
    assertNotEquals(Digest.sha256(MIXED.manifestBytes()).toString(), layoutDigest(dst, "v1"));
    assertEquals(
        Digest.sha256(MIXED.configBytes()).toString(),
        m.path("config").path("digest").asText(),
        "same config: same diff_ids, same image id");
    assertEquals(3, m.path("layers").size());
    for (JsonNode l : m.path("layers")) {
      assertEquals(MediaTypes.OCI_LAYER_ZSTD, l.path("mediaType").asText(), l.toString());
      byte[] blob =
          Files.readAllBytes(dst.resolve("blobs/sha256/" + l.path("digest").asText().substring(7)));
      assertArrayEquals(
          new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd},
          Arrays.copyOf(blob, 4),
          "zstd frame magic of " + l.path("digest").asText());
    }
    assertArrayEquals(exportOf("oci:" + src + ":v1"), exportOf("oci:" + dst + ":v1"));

    // from the store, and into the store
    ok(root, "load", "-q", "-i", "oci:" + src);
    Path dst2 = tmp.resolve("zstd-from-store");
    ok(root, "convert", "-q", "--compress", "zstd", "v1", "oci:" + dst2 + ":v1");
    assertEquals(layoutDigest(dst, "v1"), layoutDigest(dst2, "v1"), "same bytes either way");
    ok(root, "convert", "-q", "--compress", "gzip", "oci:" + dst + ":v1", "store:gz:1");
    JsonNode gz =
        Json.mapper()
            .readTree(
                StoreFiles.readBlob(root, StoreCli.image(root, "gz:1").path("Digest").asText()));
    for (JsonNode l : gz.path("layers")) {
      assertEquals(MediaTypes.OCI_LAYER_GZIP, l.path("mediaType").asText(), l.toString());
    }
    assertArrayEquals(exportOf("oci:" + src + ":v1"), exportOf("gz:1"));
    StoreFiles.assertClean(root);
  }

  // ------------------------------------------------------------------ save

  private void loadAB() throws Exception {
    ok(
        root,
        "load",
        "-q",
        "-i",
        StoreImages.dockerArchive(tmp.resolve("a.tar"), A, "a:1").toString());
    ok(
        root,
        "load",
        "-q",
        "-i",
        StoreImages.dockerArchive(tmp.resolve("b.tar"), B, "example.org/b:2").toString());
  }

  @Test
  void saveOfTwoImagesStoresTheSharedLayerOnce() throws Exception {
    loadAB();
    Path out = tmp.resolve("ab.tar");
    ok(root, "save", "-q", "a:1", "example.org/b:2", "-o", out.toString());
    Map<String, byte[]> files = StoreFiles.tarFiles(out);
    List<String> layerTars = files.keySet().stream().filter(n -> n.endsWith("/layer.tar")).toList();
    assertEquals(3, layerTars.size(), "base + a + b, the base once: " + files.keySet());
    assertEquals(
        1,
        layerTars.stream().filter(n -> Arrays.equals(BASE, files.get(n))).count(),
        "the base layer, once");
    JsonNode manifest = Json.mapper().readTree(files.get("manifest.json"));
    assertEquals(2, manifest.size());
    assertEquals("[\"a:1\"]", manifest.get(0).path("RepoTags").toString());
    assertEquals("[\"example.org/b:2\"]", manifest.get(1).path("RepoTags").toString());
    assertEquals(
        manifest.get(0).path("Layers").get(0), manifest.get(1).path("Layers").get(0), "shared");

    Path again = tmp.resolve("store2");
    ok(again, "load", "-q", "-i", out.toString());
    assertEquals(List.of("a:1", "example.org/b:2"), names(again));
    assertEquals(StoreImages.id(A), StoreCli.image(again, "a:1").path("Id").asText());
    assertEquals(StoreImages.id(B), StoreCli.image(again, "example.org/b:2").path("Id").asText());
    assertArrayEquals(exportOf("a:1"), export(again, "a:1", tmp));
    assertArrayEquals(exportOf("example.org/b:2"), export(again, "example.org/b:2", tmp));
  }

  @Test
  void saveAsOciArchiveAndOciLayout() throws Exception {
    loadAB();
    Path archive = tmp.resolve("ab-oci.tar");
    ok(
        root,
        "save",
        "-q",
        "a:1",
        "example.org/b:2",
        "--format",
        "oci-archive",
        "-o",
        archive.toString());
    Path layout = tmp.resolve("ab-layout");
    ok(root, "save", "-q", "a:1", "example.org/b:2", "--format", "oci", "-o", layout.toString());

    Map<String, byte[]> files = StoreFiles.tarFiles(archive);
    Set<String> blobs = new TreeSet<>();
    for (String n : files.keySet()) {
      if (n.startsWith("blobs/sha256/")) {
        blobs.add(n.substring("blobs/sha256/".length()));
      }
    }
    Set<String> expected = new TreeSet<>();
    expected.addAll(StoreFiles.blobsOf(root, StoreCli.image(root, "a:1").path("Digest").asText()));
    expected.addAll(
        StoreFiles.blobsOf(root, StoreCli.image(root, "example.org/b:2").path("Digest").asText()));
    assertEquals(7, expected.size(), "3 layers, 2 configs, 2 manifests");
    assertEquals(expected, blobs, "the store's blobs, each once");
    assertEquals(
        files.keySet().stream().filter(n -> n.startsWith("blobs/")).count(),
        (long) blobs.size(),
        "no blob twice in the tar");

    Set<String> layoutBlobs = StoreFiles.blobFiles(layout);
    assertEquals(expected, layoutBlobs);
    assertArrayEquals(files.get("index.json"), Files.readAllBytes(layout.resolve("index.json")));

    List<String> refs = new ArrayList<>();
    for (JsonNode m : Json.mapper().readTree(files.get("index.json")).get("manifests")) {
      refs.add(m.path("annotations").path("org.opencontainers.image.ref.name").asText());
    }
    assertEquals(2, refs.size(), refs.toString());

    for (String ref : List.of("oci-archive:" + archive, "oci:" + layout)) {
      Path again = tmp.resolve("store-" + (ref.startsWith("oci:") ? "layout" : "archive"));
      StoreCli.Run r = ok(again, "load", "-q", "-i", ref);
      assertEquals(List.of("a:1", "example.org/b:2"), names(again), r::toString);
      assertEquals(
          StoreCli.image(root, "a:1").path("Digest"), StoreCli.image(again, "a:1").path("Digest"));
      assertArrayEquals(exportOf("example.org/b:2"), export(again, "example.org/b:2", tmp));
      StoreFiles.assertClean(again);
    }
  }

  @Test
  void saveFailsCleanlyOnAMissingImage() throws Exception {
    loadAB();
    Path out = tmp.resolve("x.tar");
    StoreCli.Run r = run(root, "save", "-q", "a:1", "nothing:1", "-o", out.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertFalse(Files.exists(out), "no output is left behind");
    StoreCli.Run usage = run(root, "save", "-q", "a:1", "--format", "tar", "-o", out.toString());
    assertEquals(2, usage.exitCode(), usage::toString);
  }
}
