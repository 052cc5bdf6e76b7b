package dev.isula.golden.store;

import static dev.isula.golden.store.StoreCli.export;
import static dev.isula.golden.store.StoreCli.names;
import static dev.isula.golden.store.StoreCli.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.golden.store.StoreCli.Child;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Several processes (separate JVMs, as users would run them) on one store at once: two loaders of
 * different images and a third process removing a pre-existing image, with and without {@code
 * --prune}, started in different orders and at different offsets. Whatever the interleaving, no
 * image may be lost, index.json must stay valid, and no blob an image needs may be missing.
 *
 * <p>The images are made so that the interesting interleavings matter: {@code a} shares a layer
 * with the image being removed (a prune must not delete it from under the loader, or must let the
 * loader write it again), {@code a} and {@code b} share a layer that neither finds in the store
 * (both write it at once), and {@code b} shares its base with an image that stays.
 */
class StoreConcurrencyTest {
  static final Duration TIMEOUT = Duration.ofMinutes(3);

  @TempDir static Path inputs;

  static final byte[] BASE = StoreImages.layer("base", "base of keep and b\n");
  static final byte[] SHARED_WITH_VICTIM = StoreImages.layer("sv", "in victim and in a\n");
  static final byte[] FRESH = StoreImages.layer("fresh", "in a and b, new to the store\n");

  static final TestImage KEEP =
      StoreImages.image("keep", BASE, StoreImages.layer("keep", "only in keep\n"));
  static final TestImage VICTIM =
      StoreImages.image("victim", SHARED_WITH_VICTIM, StoreImages.layer("v", "only in victim\n"));
  static TestImage imageA;
  static TestImage imageB;

  /** name to archive, and name to the rootfs tarball its export must give. */
  static final Map<String, Path> ARCHIVES = new LinkedHashMap<>();

  static final Map<String, byte[]> EXPECTED = new LinkedHashMap<>();

  @BeforeAll
  static void images() throws Exception {
    imageA =
        StoreImages.image(
            "a",
            Compression.NONE,
            SHARED_WITH_VICTIM,
            FRESH,
            StoreImages.randomLayer("big-a", 1, 12));
    imageB =
        StoreImages.image(
            "b", Compression.NONE, BASE, FRESH, StoreImages.randomLayer("big-b", 2, 12));
    Map<String, TestImage> all = new LinkedHashMap<>();
    all.put("keep:1", KEEP);
    all.put("victim:1", VICTIM);
    all.put("a:1", imageA);
    all.put("b:1", imageB);
    for (Map.Entry<String, TestImage> e : all.entrySet()) {
      String file = e.getKey().replace(':', '-') + ".tar";
      Path archive = StoreImages.dockerArchive(inputs.resolve(file), e.getValue(), e.getKey());
      ARCHIVES.put(e.getKey(), archive);
      EXPECTED.put(
          e.getKey(), export(inputs.resolve("no-store"), "docker-archive:" + archive, inputs));
    }
  }

  /** A process to start {@code offsetMillis} after the round begins. */
  record Start(long offsetMillis, String label, String... args) {}

  /**
   * Starts the processes at their offsets (sleeps only spread them out; nothing is asserted about
   * timing) and waits for all of them.
   */
  static Map<String, StoreCli.Run> runAll(Path logs, List<Start> starts) throws Exception {
    List<Start> ordered = new ArrayList<>(starts);
    ordered.sort(Comparator.comparingLong(Start::offsetMillis));
    Map<String, Child> children = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    try {
      for (Start s : ordered) {
        long wait = s.offsetMillis() - (System.nanoTime() - t0) / 1_000_000;
        if (wait > 0) {
          Thread.sleep(wait);
        }
        children.put(s.label(), Child.start(logs, s.args()));
      }
      Map<String, StoreCli.Run> runs = new LinkedHashMap<>();
      for (Map.Entry<String, Child> c : children.entrySet()) {
        runs.put(c.getKey(), c.getValue().await(TIMEOUT));
      }
      return runs;
    } finally {
      for (Child c : children.values()) {
        c.close();
      }
    }
  }

  static Stream<Arguments> rounds() {
    // offsets in ms of: loader a, loader b, remover; whether the remover prunes
    return Stream.of(
        Arguments.of(1, 0, 0, 0, false),
        Arguments.of(2, 0, 0, 0, true),
        Arguments.of(3, 0, 150, 400, true),
        Arguments.of(4, 300, 0, 0, true),
        Arguments.of(5, 0, 500, 900, false),
        Arguments.of(6, 600, 100, 250, true),
        Arguments.of(7, 0, 0, 1500, true));
  }

  @ParameterizedTest(name = "round {0}: a at {1} ms, b at {2} ms, rm{4} at {3} ms")
  @MethodSource("rounds")
  void twoLoadersAndARemoverInSeparateJvms(
      int round, long offsetA, long offsetB, long offsetRm, boolean prune, @TempDir Path dir)
      throws Exception {
    Path root = dir.resolve("store");
    Path logs = Files.createDirectories(dir.resolve("logs"));
    ok(root, "load", "-q", "-i", ARCHIVES.get("keep:1").toString());
    ok(root, "load", "-q", "-i", ARCHIVES.get("victim:1").toString());
    Set<String> victimBlobs = StoreFiles.blobsOf(root, StoreFiles.names(root).get("victim:1"));
    String r = root.toString();

    List<String> rm = new ArrayList<>(List.of("rm", "--root", r));
    if (prune) {
      rm.add("--prune");
    }
    rm.add("victim:1");
    Map<String, StoreCli.Run> runs =
        runAll(
            logs,
            List.of(
                new Start(offsetA, "load a", "load", "--root", r, "-q", "-i", path("a:1")),
                new Start(offsetB, "load b", "load", "--root", r, "-q", "-i", path("b:1")),
                new Start(offsetRm, "rm", rm.toArray(String[]::new))));
    for (StoreCli.Run run : runs.values()) {
      run.ok();
    }
    assertEquals(List.of("Loaded image: a:1"), runs.get("load a").outLines());
    assertEquals(List.of("Loaded image: b:1"), runs.get("load b").outLines());
    assertEquals("Untagged: victim:1", runs.get("rm").outLines().get(0), runs.get("rm")::toString);

    checkAfterRound(root, dir);
    if (prune) {
      // the prune ran after the removal: victim's own blobs are gone, the shared one is a's
      Set<String> own = new TreeSet<>(victimBlobs);
      own.remove(Digest.sha256(SHARED_WITH_VICTIM).hex());
      for (String b : own) {
        assertFalse(Files.exists(StoreFiles.blob(root, b)), "victim's blob " + b + " was pruned");
      }
    }

    // a final prune leaves exactly the blobs of the three images, which still export
    ok(root, "rm", "--prune");
    StoreFiles.assertClean(root);
    checkAfterRound(root, dir);
  }

  /** Every image that should be there is there, intact, and exports as its source does. */
  static void checkAfterRound(Path root, Path dir) throws Exception {
    StoreFiles.index(root);
    StoreFiles.assertIntact(root);
    assertEquals(List.of("a:1", "b:1", "keep:1"), names(root));
    for (String name : List.of("a:1", "b:1", "keep:1")) {
      assertArrayEquals(EXPECTED.get(name), export(root, name, dir), "export of " + name);
    }
  }

  static String path(String name) {
    return ARCHIVES.get(name).toString();
  }

  /**
   * Eight loaders of eight different images, released at the same moment: each reads its archive
   * from standard input, which {@code load} spools to a file before it starts; once every loader is
   * spooling, the test closes all their inputs at once, so they write their blobs and commit to
   * index.json together. Repeated three times. Every image must be there afterwards.
   */
  @Test
  void eightLoadersReleasedTogetherLoseNoImage(@TempDir Path dir) throws Exception {
    List<TestImage> images = new ArrayList<>();
    List<byte[]> archives = new ArrayList<>();
    List<String> expected = new ArrayList<>(List.of("keep:1"));
    for (int i = 0; i < 8; i++) {
      TestImage img =
          StoreImages.image(
              "many-" + i, FRESH, StoreImages.layer("many-" + i, "image " + i + "\n"));
      images.add(img);
      Path a = StoreImages.dockerArchive(dir.resolve("many-" + i + ".tar"), img, "many" + i + ":1");
      archives.add(Files.readAllBytes(a));
      expected.add("many" + i + ":1");
    }
    expected.sort(null);
    for (int round = 0; round < 3; round++) {
      Path root = dir.resolve("store-" + round);
      Path logs = Files.createDirectories(dir.resolve("logs-" + round));
      ok(root, "load", "-q", "-i", path("keep:1"));
      List<Child> loaders = new ArrayList<>();
      try {
        for (int i = 0; i < 8; i++) {
          Child c = Child.startWithStdin(logs, "load", "--root", root.toString(), "-q");
          loaders.add(c);
          c.stdin().write(archives.get(i));
          c.stdin().flush();
        }
        for (Child c : loaders) {
          awaitSpooling(c);
        }
        for (Child c : loaders) {
          c.stdin().close();
        }
        for (int i = 0; i < 8; i++) {
          assertEquals(
              List.of("Loaded image: many" + i + ":1"),
              loaders.get(i).await(TIMEOUT).ok().outLines());
        }
      } finally {
        for (Child c : loaders) {
          c.close();
        }
      }
      StoreFiles.assertIntact(root);
      assertEquals(expected, names(root), "round " + round);
      for (int i = 0; i < 8; i++) {
        assertEquals(
            StoreImages.id(images.get(i)),
            StoreCli.image(root, "many" + i + ":1").path("Id").asText());
      }
      ok(root, "rm", "--prune");
      StoreFiles.assertClean(root);
      assertEquals(expected, names(root));
    }
  }

  /** Waits until the loader has started spooling its standard input (its temp file exists). */
  static void awaitSpooling(Child c) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try (Stream<Path> s = Files.list(c.tmp)) {
        if (s.anyMatch(p -> p.getFileName().toString().startsWith("isula-load-"))) {
          return;
        }
      }
      if (!c.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("the loader never started spooling stdin:\n" + c.result());
      }
      Thread.sleep(10);
    }
  }

  /** Two JVMs load the same new image (writing the same blobs at once) while a third prunes. */
  @Test
  void twoLoadersOfTheSameImageAndAPrune(@TempDir Path dir) throws Exception {
    for (int round = 0; round < 3; round++) {
      Path root = dir.resolve("store-" + round);
      Path logs = Files.createDirectories(dir.resolve("logs-" + round));
      ok(root, "load", "-q", "-i", path("keep:1"));
      String r = root.toString();
      Map<String, StoreCli.Run> runs =
          runAll(
              logs,
              List.of(
                  new Start(0, "load 1", "load", "--root", r, "-q", "-i", path("a:1")),
                  new Start(round * 100L, "load 2", "load", "--root", r, "-q", "-i", path("a:1")),
                  new Start(round * 250L, "prune", "rm", "--root", r, "--prune")));
      for (StoreCli.Run run : runs.values()) {
        run.ok();
      }
      StoreFiles.assertIntact(root);
      assertEquals(List.of("a:1", "keep:1"), names(root), "round " + round);
      assertEquals(2, StoreFiles.index(root).get("manifests").size(), "one entry per name");
      assertArrayEquals(EXPECTED.get("a:1"), export(root, "a:1", dir));
      assertArrayEquals(EXPECTED.get("keep:1"), export(root, "keep:1", dir));
      ok(root, "rm", "--prune");
      StoreFiles.assertClean(root);
    }
  }

  /** Eight JVMs each add a name at once: the index lock keeps every one of them. */
  @Test
  void concurrentTagsLoseNoName(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("store");
    ok(root, "load", "-q", "-i", path("keep:1"));
    ok(root, "load", "-q", "-i", path("victim:1"));
    String r = root.toString();
    List<Start> starts = new ArrayList<>();
    List<String> expected = new ArrayList<>(List.of("keep:1"));
    for (int i = 0; i < 8; i++) {
      starts.add(new Start(0, "tag " + i, "tag", "--root", r, "keep:1", "t" + i + ":1"));
      expected.add("t" + i + ":1");
    }
    starts.add(new Start(0, "rm", "rm", "--root", r, "victim:1"));
    for (StoreCli.Run run : runAll(Files.createDirectories(dir.resolve("logs")), starts).values()) {
      run.ok();
    }
    expected.sort(null);
    assertEquals(expected, names(root));
    StoreFiles.assertIntact(root);
    assertTrue(StoreFiles.leftovers(root).isEmpty(), StoreFiles.leftovers(root).toString());
  }
}
