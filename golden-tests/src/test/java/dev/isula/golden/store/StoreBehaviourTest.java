package dev.isula.golden.store;

import static dev.isula.golden.store.StoreCli.export;
import static dev.isula.golden.store.StoreCli.names;
import static dev.isula.golden.store.StoreCli.ok;
import static dev.isula.golden.store.StoreCli.run;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The store's commands one at a time: {@code load} of multi-image archives (docker-archive, OCI
 * layout, oci-archive) and of the same image again, name normalisation, {@code tag} (and what
 * happens to an image whose last name moves), {@code rm} by name, by id, by an ambiguous prefix and
 * by a name that looks like an id prefix, {@code rm --prune}, {@code export} / {@code import}
 * through the store, and where the store is ({@code --root}, environment).
 */
class StoreBehaviourTest {
  @TempDir Path tmp;

  Path root;

  static final byte[] BASE = StoreImages.layer("base", "the base layer\n", "shared by a and b\n");
  static final TestImage A = StoreImages.image("a", BASE, StoreImages.layer("a", "only in a\n"));
  static final TestImage B = StoreImages.image("b", BASE, StoreImages.layer("b", "only in b\n"));

  @BeforeEach
  void store() {
    root = tmp.resolve("store");
  }

  /** The rootfs tarball {@code isula export} makes of a source reference (not the store). */
  private byte[] exportSource(String ref) throws Exception {
    return export(tmp.resolve("unused-root"), ref, tmp);
  }

  private String loadOne(TestImage img, String... tags) throws Exception {
    Path archive =
        StoreImages.dockerArchive(
            tmp.resolve("in-" + tags[0].replaceAll("[/:]", "_") + ".tar"), img, tags);
    ok(root, "load", "-q", "-i", archive.toString());
    return archive.toString();
  }

  // ------------------------------------------------------------------ load

  @Test
  void loadsEveryImageOfADockerArchive() throws Exception {
    Path archive =
        StoreImages.dockerArchive(
            tmp.resolve("two.tar"),
            List.of(A, B),
            List.of(
                List.of("example.org/ns/a:1"), List.of("docker.io/library/bee:latest", "bee:2")));
    StoreCli.Run r = ok(root, "load", "-q", "-i", archive.toString());
    assertEquals(
        List.of(
            "Loaded image: example.org/ns/a:1", "Loaded image: bee:latest", "Loaded image: bee:2"),
        r.outLines(),
        r::toString);

    assertEquals(List.of("bee:2", "bee:latest", "example.org/ns/a:1"), names(root));
    assertEquals(StoreImages.id(A), StoreCli.image(root, "example.org/ns/a:1").path("Id").asText());
    assertEquals(StoreImages.id(B), StoreCli.image(root, "bee:2").path("Id").asText());
    assertEquals(2, StoreCli.images(root).size(), "two images, however many names");
    assertEquals(
        Set.of("example.org/ns/a:1", "bee:latest", "bee:2"),
        StoreFiles.names(root).keySet(),
        "index.json keeps the normalised names");
    // the shared base layer is stored once
    assertEquals(7, StoreFiles.blobFiles(root).size(), "3 layers + 2 configs + 2 manifests");
    StoreFiles.assertClean(root);

    assertArrayEquals(
        exportSource("docker-archive:" + archive + ":example.org/ns/a:1"),
        export(root, "example.org/ns/a:1", tmp));
    assertArrayEquals(
        exportSource("docker-archive:" + archive + ":bee:2"), export(root, "bee:latest", tmp));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"oci-archive", "oci"})
  void loadsEveryRefNameOfAnOciLayout(String transport) throws Exception {
    List<String> refs = List.of("example.org/ns/a:1", "bee");
    Path src =
        transport.equals("oci")
            ? StoreImages.ociLayout(tmp.resolve("layout"), List.of(A, B), refs)
            : StoreImages.ociArchive(tmp.resolve("two-oci.tar"), List.of(A, B), refs);
    StoreCli.Run r = ok(root, "load", "-q", "-i", transport + ":" + src);
    assertEquals(
        List.of("Loaded image: example.org/ns/a:1", "Loaded image: bee:latest"),
        r.outLines(),
        r::toString);
    assertEquals(List.of("bee:latest", "example.org/ns/a:1"), names(root));
    assertEquals(StoreImages.id(A), StoreCli.image(root, "example.org/ns/a:1").path("Id").asText());
    assertEquals(StoreImages.id(B), StoreCli.image(root, "bee:latest").path("Id").asText());
    // layers already compressed are stored as they are: the manifests keep their digests
    assertEquals(
        Digest.sha256(A.manifestBytes()).toString(),
        StoreCli.image(root, "example.org/ns/a:1").path("Digest").asText());
    assertEquals(
        Digest.sha256(B.manifestBytes()).toString(),
        StoreCli.image(root, "bee:latest").path("Digest").asText());
    StoreFiles.assertClean(root);
    assertArrayEquals(
        exportSource(transport + ":" + src + ":example.org/ns/a:1"),
        export(root, "example.org/ns/a:1", tmp));
    assertArrayEquals(exportSource(transport + ":" + src + ":bee"), export(root, "bee", tmp));
  }

  @Test
  void namesAreNormalisedAsDockerDoes() throws Exception {
    loadOne(A, "docker.io/library/busybox:latest");
    assertEquals(List.of("busybox:latest"), names(root));
    String id = StoreImages.id(A);
    for (String ref :
        List.of(
            "busybox",
            "busybox:latest",
            "library/busybox",
            "docker.io/library/busybox",
            "docker.io/library/busybox:latest",
            "store:busybox",
            id,
            id.substring(7, 19))) {
      StoreCli.Run r = ok(root, "inspect", ref);
      assertEquals(id, Json.mapper().readTree(r.out()).get(0).path("Id").asText(), ref);
    }
    StoreCli.Run table = ok(root, "images");
    assertEquals("busybox", table.outLines().get(1).split(" +")[0], table::toString);
    assertEquals("latest", table.outLines().get(1).split(" +")[1], table::toString);

    // a tag given in another spelling is the same name: no second entry
    ok(root, "tag", "busybox", "docker.io/library/busybox");
    ok(root, "tag", "busybox", "docker.io/ns/app:1");
    assertEquals(List.of("busybox:latest", "ns/app:1"), names(root));
    assertEquals(2, StoreFiles.index(root).get("manifests").size(), "one entry per name");

    StoreCli.Run bad = run(root, "tag", "busybox", "Not/Valid:Name");
    assertEquals(2, bad.exitCode(), bad::toString);
    assertEquals(List.of("busybox:latest", "ns/app:1"), names(root));
  }

  /** index.json's entries, in any order. */
  private Set<String> entries() throws Exception {
    Set<String> out = new TreeSet<>();
    StoreFiles.index(root).get("manifests").forEach(m -> out.add(m.toString()));
    return out;
  }

  @Test
  void loadingTheSameImageAgainAddsNothing() throws Exception {
    String archive = loadOne(A, "a:1");
    Path unnamed =
        StoreImages.ociLayout(tmp.resolve("unnamed"), List.of(B), Arrays.asList((String) null));
    StoreCli.Run first = ok(root, "load", "-q", "-i", "oci:" + unnamed);
    assertEquals(List.of("Loaded image ID: " + StoreImages.id(B)), first.outLines());
    Set<String> entries = entries();
    Set<String> blobs = StoreFiles.blobFiles(root);

    ok(root, "load", "-q", "-i", archive);
    StoreCli.Run again = ok(root, "load", "-q", "-i", "oci:" + unnamed);
    assertEquals(first.outLines(), again.outLines());
    assertEquals(entries, entries(), "no new index entry");
    assertEquals(2, StoreFiles.index(root).get("manifests").size());
    assertEquals(blobs, StoreFiles.blobFiles(root), "no new blob");
    StoreFiles.assertClean(root);

    // the unnamed image: listed as <none>, removed by id with "Deleted:"
    StoreCli.Run table = ok(root, "images");
    assertTrue(table.out().contains("<none>"), table::toString);
    StoreCli.Run rm = ok(root, "rm", StoreImages.id(B).substring(7, 19));
    assertEquals(List.of("Deleted: " + StoreImages.id(B)), rm.outLines());
    assertEquals(List.of("a:1"), names(root));
    assertEquals(1, StoreCli.images(root).size());
  }

  /** --root, else $ISULA_TOOLKIT_ROOT, else $XDG_DATA_HOME/isula-toolkit (child JVMs). */
  @Test
  void theStoreRootComesFromTheOptionOrTheEnvironment() throws Exception {
    Path archive = StoreImages.dockerArchive(tmp.resolve("a.tar"), A, "a:1");
    Path byEnv = tmp.resolve("by-env");
    Path xdg = tmp.resolve("xdg");
    Path byOption = tmp.resolve("by-option");
    try (StoreCli.Child c =
        StoreCli.Child.start(
            tmp,
            Map.of("ISULA_TOOLKIT_ROOT", byEnv.toString(), "XDG_DATA_HOME", xdg.toString()),
            "load",
            "-q",
            "-i",
            archive.toString())) {
      c.await(Duration.ofMinutes(2)).ok();
    }
    assertEquals(List.of("a:1"), names(byEnv));
    assertFalse(Files.exists(xdg.resolve("isula-toolkit")));
    try (StoreCli.Child c =
        StoreCli.Child.start(
            tmp, Map.of("XDG_DATA_HOME", xdg.toString()), "load", "-q", "-i", archive.toString())) {
      c.await(Duration.ofMinutes(2)).ok();
    }
    assertEquals(List.of("a:1"), names(xdg.resolve("isula-toolkit")));
    try (StoreCli.Child c =
        StoreCli.Child.start(
            tmp,
            Map.of("ISULA_TOOLKIT_ROOT", byEnv.toString()),
            "tag",
            "--root",
            byOption.toString(),
            "a:1",
            "b:1")) {
      StoreCli.Run r = c.await(Duration.ofMinutes(2));
      assertEquals(1, r.exitCode(), () -> "--root wins: the store there is empty\n" + r);
    }
    try (StoreCli.Child c =
        StoreCli.Child.start(
            tmp, Map.of("ISULA_TOOLKIT_ROOT", byEnv.toString()), "tag", "a:1", "b:1")) {
      c.await(Duration.ofMinutes(2)).ok();
    }
    assertEquals(List.of("a:1", "b:1"), names(byEnv));
  }

  // ------------------------------------------------------------------ tag

  @Test
  void tagAddsANameAndMovesOneInUse() throws Exception {
    loadOne(A, "a:1");
    loadOne(B, "b:1");
    ok(root, "tag", "a:1", "shared:1");
    assertEquals(StoreImages.id(A), StoreCli.image(root, "shared:1").path("Id").asText());
    assertEquals(List.of("a:1", "b:1", "shared:1"), names(root));

    ok(root, "tag", StoreImages.id(B).substring(7, 19), "shared:1");
    assertEquals(StoreImages.id(B), StoreCli.image(root, "shared:1").path("Id").asText());
    assertEquals(List.of("a:1", "b:1", "shared:1"), names(root), "the name moved, a:1 stayed");
    assertEquals(
        1,
        StoreFiles.names(root).keySet().stream().filter(n -> n.equals("shared:1")).count(),
        "one entry for the moved name");
    assertArrayEquals(export(root, "b:1", tmp), export(root, "shared:1", tmp));
    StoreFiles.assertIntact(root);

    StoreCli.Run missing = run(root, "tag", "nothing:1", "x:1");
    assertEquals(1, missing.exitCode(), missing::toString);
    assertEquals(List.of("a:1", "b:1", "shared:1"), names(root));
  }

  /**
   * Moving the only name of an image away, with {@code tag} or by loading another image under that
   * name, leaves the old image untagged, as docker does ({@code <none>:<none>}): it is still there
   * by id until removed, and a prune keeps its blobs.
   */
  @Test
  void movingTheLastNameAwayLeavesTheImageUntagged() throws Exception {
    loadOne(A, "app:1");
    loadOne(B, "other:1");
    byte[] exportA = export(root, "app:1", tmp);
    ok(root, "tag", "other:1", "app:1");
    assertEquals(StoreImages.id(B), StoreCli.image(root, "app:1").path("Id").asText());
    List<String> afterTag = ids(root);

    Path second = tmp.resolve("second");
    TestImage c = StoreImages.image("c", BASE, StoreImages.layer("c", "only in c\n"));
    ok(
        second,
        "load",
        "-q",
        "-i",
        StoreImages.dockerArchive(tmp.resolve("a.tar"), A, "app:1").toString());
    ok(
        second,
        "load",
        "-q",
        "-i",
        StoreImages.dockerArchive(tmp.resolve("c.tar"), c, "app:1").toString());
    assertEquals(StoreImages.id(c), StoreCli.image(second, "app:1").path("Id").asText());
    List<String> afterLoad = ids(second);

    assertAll(
        () ->
            assertTrue(
                afterTag.contains(StoreImages.id(A)),
                "image a lost its last name to 'tag' and vanished from the store: images lists "
                    + afterTag),
        () ->
            assertTrue(
                afterLoad.contains(StoreImages.id(A)),
                "image a lost its last name to 'load' of another image and vanished: images lists "
                    + afterLoad));
    assertArrayEquals(exportA, export(root, StoreImages.id(A), tmp));
    ok(root, "rm", "--prune");
    assertArrayEquals(exportA, export(root, StoreImages.id(A), tmp));
  }

  private static List<String> ids(Path root) throws Exception {
    List<String> ids = new ArrayList<>();
    StoreCli.images(root).forEach(i -> ids.add(i.path("Id").asText()));
    return ids;
  }

  // ------------------------------------------------------------------ rm

  @Test
  void rmOfANameRemovesThatNameOnly() throws Exception {
    String archive = loadOne(A, "a:1", "a:2");
    Set<String> blobs = StoreFiles.blobFiles(root);
    StoreCli.Run r = ok(root, "rm", "a:1");
    assertEquals(List.of("Untagged: a:1"), r.outLines(), r::toString);
    assertEquals(List.of("a:2"), names(root));
    assertEquals(blobs, StoreFiles.blobFiles(root), "rm without --prune keeps every blob");
    assertArrayEquals(exportSource("docker-archive:" + archive), export(root, "a:2", tmp));
  }

  @Test
  void rmOfAnIdRemovesTheImageWithAllItsNames() throws Exception {
    loadOne(A, "a:1", "a:2");
    loadOne(B, "b:1");
    ok(root, "tag", "a:1", "example.org/a:3");
    Set<String> blobs = StoreFiles.blobFiles(root);
    StoreCli.Run r = ok(root, "rm", StoreImages.id(A).substring(7, 19));
    assertEquals(
        Set.of(
            "Untagged: a:1",
            "Untagged: a:2",
            "Untagged: example.org/a:3",
            "Deleted: " + StoreImages.id(A)),
        Set.copyOf(r.outLines()),
        r::toString);
    assertEquals(List.of("b:1"), names(root));
    assertEquals(1, StoreCli.images(root).size());
    assertEquals(blobs, StoreFiles.blobFiles(root), "rm without --prune keeps every blob");

    StoreCli.Run again = run(root, "inspect", StoreImages.id(A));
    assertEquals(1, again.exitCode(), again::toString);

    // the full id, with sha256:
    ok(root, "rm", StoreImages.id(B));
    assertEquals(List.of(), names(root));
    assertEquals(0, StoreFiles.index(root).get("manifests").size());
  }

  /** Two images whose ids share a 3-digit hex prefix (found by varying a label). */
  static List<TestImage> prefixTwins() {
    Map<String, TestImage> byPrefix = new HashMap<>();
    for (int i = 0; ; i++) {
      TestImage img = StoreImages.image("twin-" + i, BASE);
      String prefix = StoreImages.id(img).substring(7, 10);
      TestImage other = byPrefix.putIfAbsent(prefix, img);
      if (other != null) {
        return List.of(other, img);
      }
    }
  }

  @Test
  void rmOfAnAmbiguousIdPrefixFailsAndListsTheCandidates() throws Exception {
    List<TestImage> twins = prefixTwins();
    loadOne(twins.get(0), "twin:1");
    loadOne(twins.get(1), "twin:2");
    String prefix = StoreImages.id(twins.get(0)).substring(7, 10);
    for (JsonNode i : StoreCli.images(root)) {
      // the store also takes manifest digests as ids: the prefix must name the two configs only
      assertFalse(
          i.path("Digest").asText().startsWith("sha256:" + prefix),
          "test set-up: prefix " + prefix + " also starts a manifest digest");
    }
    Set<String> before = StoreFiles.blobFiles(root);
    String indexBefore = Files.readString(root.resolve("index.json"));

    StoreCli.Run r = run(root, "rm", prefix);
    assertEquals(1, r.exitCode(), r::toString);
    assertTrue(r.err().contains("ambiguous"), r::toString);
    for (TestImage t : twins) {
      String id = StoreImages.id(t);
      assertTrue(
          r.err().contains(id.substring(7, 19)),
          "the error must list the candidates (" + id + "), got:\n" + r.err());
    }
    assertEquals(indexBefore, Files.readString(root.resolve("index.json")), "store unchanged");
    assertEquals(before, StoreFiles.blobFiles(root));

    // a longer, unique prefix works
    String unique = StoreImages.id(twins.get(1)).substring(7, 23);
    ok(root, "rm", unique);
    assertEquals(List.of("twin:1"), names(root));
  }

  /** An image whose id starts with {@code hex} (found by varying a label). */
  static TestImage imageWithIdPrefix(String hex) {
    for (int i = 0; ; i++) {
      TestImage img = StoreImages.image("prefix-" + i, BASE);
      if (StoreImages.id(img).startsWith("sha256:" + hex)) {
        return img;
      }
    }
  }

  /**
   * {@code cab} is a valid name ({@code cab:latest}) and a valid id prefix. As with docker, an
   * image that has the name is meant, not another image whose id happens to start with those
   * letters: {@code rm cab} must not remove an unrelated image.
   */
  @Test
  void aNameThatLooksLikeAnIdPrefixMeansTheNamedImage() throws Exception {
    TestImage other = imageWithIdPrefix("cab");
    loadOne(other, "other:1");
    loadOne(A, "cab");
    assertEquals(List.of("cab:latest", "other:1"), names(root));

    StoreCli.Run inspect = ok(root, "inspect", "cab");
    assertEquals(
        StoreImages.id(A),
        Json.mapper().readTree(inspect.out()).get(0).path("Id").asText(),
        "inspect cab: the image named cab:latest");
    StoreCli.Run rm = ok(root, "rm", "cab");
    // its last name gone, the image is deleted (as docker reports it)
    assertEquals(
        List.of("Untagged: cab:latest", "Deleted: " + StoreImages.id(A)),
        rm.outLines(),
        rm::toString);
    assertEquals(List.of("other:1"), names(root), "rm cab removed the wrong image");
  }

  @Test
  void rmOfAnUnknownNameFailsAndChangesNothing() throws Exception {
    loadOne(A, "a:1");
    String indexBefore = Files.readString(root.resolve("index.json"));
    StoreCli.Run r = run(root, "rm", "nothing:1");
    assertEquals(1, r.exitCode(), r::toString);
    assertTrue(r.err().contains("nothing:1"), r::toString);
    assertEquals(indexBefore, Files.readString(root.resolve("index.json")));

    StoreCli.Run usage = run(root, "rm");
    assertEquals(2, usage.exitCode(), usage::toString);
  }

  @Test
  void rmPruneDeletesUnreferencedBlobsOnly() throws Exception {
    loadOne(A, "a:1");
    loadOne(B, "b:1");
    Set<String> blobsA = StoreFiles.blobsOf(root, StoreFiles.names(root).get("a:1"));
    Set<String> blobsB = StoreFiles.blobsOf(root, StoreFiles.names(root).get("b:1"));
    String base = Digest.sha256(BASE).hex();
    assertTrue(blobsA.contains(base) && blobsB.contains(base), "test set-up: a shared layer");
    byte[] exportB = export(root, "b:1", tmp);

    StoreCli.Run r = ok(root, "rm", "--prune", "a:1");
    assertEquals("Untagged: a:1", r.outLines().get(0), r::toString);
    assertEquals("Deleted: " + StoreImages.id(A), r.outLines().get(1), r::toString);
    assertTrue(r.outLines().get(2).startsWith("Pruned 3 blobs"), r::toString);
    Set<String> gone = new TreeSet<>(blobsA);
    gone.removeAll(blobsB);
    assertEquals(3, gone.size(), "a's own layer, config and manifest");
    for (String g : gone) {
      assertFalse(Files.exists(StoreFiles.blob(root, g)), "pruned: " + g);
    }
    assertEquals(blobsB, StoreFiles.blobFiles(root), "b's blobs, the shared layer among them");
    StoreFiles.assertClean(root);
    assertArrayEquals(exportB, export(root, "b:1", tmp));

    // a name removed without --prune leaves blobs that a later prune alone deletes
    ok(root, "rm", "b:1");
    assertEquals(blobsB, StoreFiles.blobFiles(root));
    StoreCli.Run p = ok(root, "rm", "--prune");
    assertTrue(p.out().startsWith("Pruned 4 blobs"), p::toString);
    assertEquals(Set.of(), StoreFiles.blobFiles(root));
    StoreFiles.assertClean(root);
  }

  @Test
  void rmPruneDeletesLeftoversOfInterruptedWrites() throws Exception {
    String archive = loadOne(A, "a:1");
    Set<String> blobs = StoreFiles.blobFiles(root);
    // what a loader killed while writing a blob, or the index, leaves behind
    Files.write(StoreFiles.blobDir(root).resolve(".tmp-123456789.partial"), new byte[1000]);
    Files.writeString(root.resolve(".index.json.987654321.partial"), "{\"schemaVer");
    Files.write(StoreFiles.blobDir(root).resolve("0".repeat(64)), new byte[10]);
    assertEquals(2, StoreFiles.leftovers(root).size());
    ok(root, "images");

    StoreCli.Run r = ok(root, "rm", "--prune");
    assertEquals(
        "Pruned 1 blobs (10B), 2 leftovers of interrupted writes", r.out().strip(), r::toString);
    assertEquals(blobs, StoreFiles.blobFiles(root));
    StoreFiles.assertClean(root);
    assertArrayEquals(exportSource("docker-archive:" + archive), export(root, "a:1", tmp));
  }

  // ------------------------------------------------------------------ export / import

  @Test
  void exportAndImportThroughTheStoreByNameAndIdPrefix() throws Exception {
    String archive = loadOne(A, "a:1", "a");
    byte[] expected = exportSource("docker-archive:" + archive + ":a:1");
    String id = StoreImages.id(A);
    for (String ref :
        List.of(
            "a:1",
            "a",
            "store:a:1",
            id,
            id.substring(7),
            id.substring(7, 19),
            id.substring(0, 19))) {
      assertArrayEquals(expected, export(root, ref, tmp), "export " + ref);
    }

    Path rootfs = tmp.resolve("rootfs.tar");
    Files.write(rootfs, expected);
    StoreCli.Run imp = ok(root, "import", "-q", rootfs.toString(), "imported:1");
    String importedId = imp.out().strip();
    assertTrue(importedId.matches("sha256:[0-9a-f]{64}"), imp::toString);
    assertEquals(List.of("a:1", "a:latest", "imported:1"), names(root));
    assertEquals(importedId, StoreCli.image(root, "imported:1").path("Id").asText());
    StoreFiles.assertClean(root);

    assertArrayEquals(expected, export(root, "imported:1", tmp), "import then export");
    assertArrayEquals(expected, export(root, importedId.substring(7, 19), tmp));

    // an import under a name in use moves the name
    StoreCli.Run again = ok(root, "import", "-q", rootfs.toString(), "a:1");
    assertEquals(again.out().strip(), StoreCli.image(root, "a:1").path("Id").asText());
    assertEquals(StoreImages.id(A), StoreCli.image(root, "a:latest").path("Id").asText());

    StoreCli.Run missing = run(root, "export", "-q", "nothing:1", tmp.resolve("x.tar").toString());
    assertEquals(1, missing.exitCode(), missing::toString);
    assertFalse(Files.exists(tmp.resolve("x.tar")));
  }

  /**
   * The same image (same config, so the same id) stored twice, once with plain layers (from a
   * docker-archive) and once with gzip'd ones (from an OCI layout): its full id names one image.
   */
  @Test
  void theFullIdOfAnImageStoredWithTwoManifestsIsNotAmbiguous() throws Exception {
    String archive = loadOne(A, "plain:1");
    Path layout = StoreImages.ociLayout(tmp.resolve("layout"), List.of(A), List.of("gzipped:1"));
    ok(root, "load", "-q", "-i", "oci:" + layout);
    List<JsonNode> images = StoreCli.images(root);
    assertEquals(2, images.size(), "two manifests");
    assertEquals(images.get(0).path("Id"), images.get(1).path("Id"), "one config");

    String id = StoreImages.id(A);
    StoreCli.Run r = run(root, "export", "-q", id, tmp.resolve("by-id.tar").toString());
    assertEquals(0, r.exitCode(), () -> "export by the full id:\n" + r);
    assertArrayEquals(
        exportSource("docker-archive:" + archive), Files.readAllBytes(tmp.resolve("by-id.tar")));
  }
}
