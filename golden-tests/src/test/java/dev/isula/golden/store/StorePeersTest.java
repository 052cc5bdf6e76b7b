package dev.isula.golden.store;

import static dev.isula.golden.store.StoreCli.export;
import static dev.isula.golden.store.StoreCli.names;
import static dev.isula.golden.store.StoreCli.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store against real tools: skopeo reads the store as the OCI layout it is; archives written by
 * {@code save} load into podman and read with skopeo; archives written by podman and skopeo load
 * into the store and export exactly as their source does.
 */
@Tag("peers")
class StorePeersTest {
  @TempDir Path tmp;

  Path root;
  PeerTools tools;

  static final byte[] BASE = StoreImages.layer("base", "the base layer\n", "shared\n");
  static final TestImage A =
      StoreImages.image("a", Compression.GZIP, BASE, StoreImages.layer("a", "only in a\n"));
  static final TestImage B =
      StoreImages.image("b", Compression.ZSTD, BASE, StoreImages.layer("b", "only in b\n"));

  @BeforeEach
  void setUp() {
    root = tmp.resolve("store");
  }

  private PeerTools tools() throws Exception {
    if (tools == null) {
      tools = new PeerTools(tmp.resolve("p"));
    }
    return tools;
  }

  @AfterEach
  void tearDown() throws Exception {
    if (tools != null) {
      tools.close();
    }
  }

  private byte[] exportOf(String ref) throws Exception {
    return export(root, ref, tmp);
  }

  /** Loads a (a:1, from a docker-archive) and b (example.org/ns/b:2, from an OCI layout). */
  private void loadAB() throws Exception {
    ok(
        root,
        "load",
        "-q",
        "-i",
        StoreImages.dockerArchive(tmp.resolve("a.tar"), A, "a:1").toString());
    Path layout =
        StoreImages.ociLayout(tmp.resolve("b-layout"), List.of(B), List.of("example.org/ns/b:2"));
    ok(root, "load", "-q", "-i", "oci:" + layout);
  }

  private static JsonNode json(PeerTools.Result r) throws Exception {
    return Json.mapper().readTree(r.out());
  }

  @Test
  void skopeoReadsTheStore() throws Exception {
    PeerTools.require("skopeo");
    loadAB();
    for (String name : List.of("a:1", "example.org/ns/b:2")) {
      JsonNode stored = StoreCli.image(root, name);
      JsonNode inspect = json(tools().skopeo("inspect", "oci:" + root + ":" + name));
      assertEquals(stored.path("Digest").asText(), inspect.path("Digest").asText(), name);
      byte[] raw =
          tools()
              .skopeo("inspect", "--raw", "oci:" + root + ":" + name)
              .out()
              .getBytes(StandardCharsets.UTF_8);
      assertEquals(
          stored.path("Digest").asText(), Digest.sha256(raw).toString(), "raw manifest of " + name);
      JsonNode config =
          json(tools().skopeo("inspect", "--config", "--raw", "oci:" + root + ":" + name));
      assertEquals(
          Json.mapper().readTree(StoreFiles.readBlob(root, stored.path("Id").asText())),
          config,
          name);
    }
    // and copies out of it, digests kept
    Path out = tmp.resolve("copied");
    tools().skopeo("copy", "oci:" + root + ":example.org/ns/b:2", "oci:" + out + ":b");
    JsonNode copied = json(tools().skopeo("inspect", "oci:" + out + ":b"));
    assertEquals(
        StoreCli.image(root, "example.org/ns/b:2").path("Digest").asText(),
        copied.path("Digest").asText());
    assertArrayEquals(exportOf("example.org/ns/b:2"), exportOf("oci:" + out + ":b"));
  }

  @Test
  void archivesSavedFromTheStoreLoadIntoPodmanAndReadWithSkopeo() throws Exception {
    PeerTools.require("skopeo", "podman");
    loadAB();
    Path docker = tmp.resolve("ab.tar");
    ok(root, "save", "-q", "a:1", "example.org/ns/b:2", "-o", docker.toString());
    Path ociArchive = tmp.resolve("ab-oci.tar");
    ok(
        root,
        "save",
        "-q",
        "a:1",
        "example.org/ns/b:2",
        "--format",
        "oci-archive",
        "-o",
        ociArchive.toString());

    for (String name : List.of("a:1", "example.org/ns/b:2")) {
      String id = StoreCli.image(root, name).path("Id").asText();
      JsonNode raw =
          json(tools().skopeo("inspect", "--raw", "docker-archive:" + docker + ":" + name));
      assertEquals(id, raw.path("config").path("digest").asText(), "docker-archive " + name);
      JsonNode oci = json(tools().skopeo("inspect", "oci-archive:" + ociArchive + ":" + name));
      assertEquals(
          StoreCli.image(root, name).path("Digest").asText(),
          oci.path("Digest").asText(),
          "oci-archive " + name);
    }

    PeerTools.Result load = tools().podman("load", "-i", docker.toString());
    assertTrue(
        load.out().contains("a:1") && load.out().contains("example.org/ns/b:2"), load::toString);
    for (String name : List.of("a:1", "example.org/ns/b:2")) {
      String podmanId =
          tools().podman("image", "inspect", "--format", "{{.Id}}", name).out().strip();
      assertEquals(StoreCli.image(root, name).path("Id").asText(), "sha256:" + podmanId, name);
    }
    // a round trip through podman gives the same images back
    Path back = tmp.resolve("back.tar");
    tools().podman("save", "--format", "docker-archive", "-o", back.toString(), "a:1");
    Path again = tmp.resolve("store-again");
    ok(again, "load", "-q", "-i", back.toString());
    assertEquals(StoreImages.id(A), StoreCli.image(again, names(again).get(0)).path("Id").asText());
    assertArrayEquals(exportOf("a:1"), export(again, StoreImages.id(A), tmp));
  }

  @Test
  void imagesSavedByPodmanLoadIntoTheStore() throws Exception {
    PeerTools.require("podman");
    Path src =
        StoreImages.dockerArchive(
            tmp.resolve("src.tar"),
            List.of(A, B),
            List.of(List.of("pa:1"), List.of("example.org/pb:2")));
    byte[] rootfsA = export(root, "docker-archive:" + src + ":pa:1", tmp);
    byte[] rootfsB = export(root, "docker-archive:" + src + ":example.org/pb:2", tmp);
    tools().podman("load", "-i", src.toString());

    Path docker = tmp.resolve("podman-docker.tar");
    tools().podman("save", "--format", "docker-archive", "-o", docker.toString(), "pa:1");
    Path oci = tmp.resolve("podman-oci.tar");
    tools().podman("save", "--format", "oci-archive", "-o", oci.toString(), "example.org/pb:2");
    Path multi = tmp.resolve("podman-multi.tar");
    tools()
        .podman(
            "save", "--multi-image-archive", "-o", multi.toString(), "pa:1", "example.org/pb:2");

    // podman qualifies the short name pa:1 as localhost/pa:1
    StoreCli.Run r = ok(root, "load", "-q", "-i", docker.toString());
    List<String> loaded = new ArrayList<>(r.outLines());
    r = ok(root, "load", "-q", "-i", oci.toString());
    loaded.addAll(r.outLines());
    assertEquals(
        StoreImages.id(A),
        StoreCli.image(root, "localhost/pa:1").path("Id").asText(),
        loaded.toString());
    // podman's oci-archive has a config of its own (converted to OCI): the store keeps its
    // manifest as it is
    JsonNode podmanIndex = Json.mapper().readTree(StoreFiles.tarFiles(oci).get("index.json"));
    assertEquals(
        podmanIndex.path("manifests").get(0).path("digest").asText(),
        StoreCli.image(root, "example.org/pb:2").path("Digest").asText(),
        loaded.toString());
    assertArrayEquals(rootfsA, exportOf("localhost/pa:1"));
    assertArrayEquals(rootfsB, exportOf("example.org/pb:2"));

    Path other = tmp.resolve("store-multi");
    ok(other, "load", "-q", "-i", multi.toString());
    assertEquals(List.of("example.org/pb:2", "localhost/pa:1"), names(other));
    assertArrayEquals(rootfsA, export(other, "localhost/pa:1", tmp));
    assertArrayEquals(rootfsB, export(other, "example.org/pb:2", tmp));
    StoreFiles.assertClean(root);
    StoreFiles.assertClean(other);
  }

  @Test
  void imagesCopiedBySkopeoLoadIntoTheStore() throws Exception {
    PeerTools.require("skopeo");
    Path layout = StoreImages.ociLayout(tmp.resolve("layout"), List.of(A), List.of("v1"));
    byte[] rootfs = export(root, "oci:" + layout + ":v1", tmp);
    Path docker = tmp.resolve("skopeo-docker.tar");
    tools().skopeo("copy", "oci:" + layout + ":v1", "docker-archive:" + docker + ":sk/a:1");
    Path oci = tmp.resolve("skopeo-oci.tar");
    tools().skopeo("copy", "oci:" + layout + ":v1", "oci-archive:" + oci + ":sk/b:1");
    Path zstd = tmp.resolve("skopeo-zstd");
    tools()
        .skopeo(
            "copy",
            "--dest-compress-format",
            "zstd",
            "oci:" + layout + ":v1",
            "oci:" + zstd + ":sk/c:1");

    assertEquals(
        List.of("Loaded image: sk/a:1"),
        ok(root, "load", "-q", "-i", docker.toString()).outLines());
    assertEquals(
        List.of("Loaded image: sk/b:1"), ok(root, "load", "-q", "-i", oci.toString()).outLines());
    assertEquals(
        List.of("Loaded image: sk/c:1"), ok(root, "load", "-q", "-i", "oci:" + zstd).outLines());
    for (String name : List.of("sk/a:1", "sk/b:1", "sk/c:1")) {
      assertEquals(StoreImages.id(A), StoreCli.image(root, name).path("Id").asText(), name);
      assertArrayEquals(rootfs, exportOf(name), name);
    }
    // skopeo's OCI manifests are kept as they are
    JsonNode b = json(tools().skopeo("inspect", "oci-archive:" + oci));
    assertEquals(b.path("Digest").asText(), StoreCli.image(root, "sk/b:1").path("Digest").asText());
    StoreFiles.assertClean(root);
  }
}
