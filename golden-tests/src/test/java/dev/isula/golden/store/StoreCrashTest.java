package dev.isula.golden.store;

import static dev.isula.golden.store.StoreCli.export;
import static dev.isula.golden.store.StoreCli.names;
import static dev.isula.golden.store.StoreCli.ok;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.isula.golden.store.StoreCli.Child;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code kill -9} of a loader at several points of loading a large image (three layers of 24 MiB):
 * after fixed delays (which land anywhere from JVM start-up to after the end) and at markers in the
 * store (a blob half written, the second blob half written, the index just replaced). Whatever was
 * hit, the store must stay readable: {@code images} works, the image that was there exports as
 * before, the killed image is either complete or absent; and {@code rm --prune} then removes every
 * leftover, after which the image loads again.
 */
class StoreCrashTest {
  @TempDir static Path inputs;

  static final TestImage KEEP =
      StoreImages.image("keep", StoreImages.layer("keep", "an image that was there before\n"));

  static Path keepArchive;
  static Path bigArchive;
  static byte[] keepRootfs;
  static byte[] bigRootfs;

  @BeforeAll
  static void images() throws Exception {
    TestImage big =
        StoreImages.image(
            "big",
            Compression.NONE,
            StoreImages.randomLayer("one", 11, 24),
            StoreImages.randomLayer("two", 12, 24),
            StoreImages.randomLayer("three", 13, 24));
    keepArchive = StoreImages.dockerArchive(inputs.resolve("keep.tar"), KEEP, "keep:1");
    bigArchive = StoreImages.dockerArchive(inputs.resolve("big.tar"), big, "big:1");
    keepRootfs = export(inputs.resolve("x"), "docker-archive:" + keepArchive, inputs);
    bigRootfs = export(inputs.resolve("x"), "docker-archive:" + bigArchive, inputs);
  }

  /** When to kill the loader. */
  enum KillPoint {
    AFTER_50_MS,
    AFTER_200_MS,
    AFTER_500_MS,
    AFTER_1000_MS,
    AFTER_2000_MS,
    /** a {@code .tmp-*.partial} blob has at least 1 MiB of its 24 in it */
    FIRST_BLOB_HALF_WRITTEN,
    /** one layer blob is in place, the next one is being written */
    SECOND_BLOB_HALF_WRITTEN,
    /** index.json was replaced: the load is committed, the process has not exited yet */
    INDEX_REPLACED;

    boolean midWrite() {
      return this == FIRST_BLOB_HALF_WRITTEN || this == SECOND_BLOB_HALF_WRITTEN;
    }
  }

  /** Polls the store until the kill point is reached; false if the loader ended first. */
  static boolean awaitPoint(KillPoint point, Child loader, Path root, Set<String> blobsBefore)
      throws Exception {
    long start = System.nanoTime();
    String indexBefore = readOrEmpty(root.resolve("index.json"));
    while (loader.isAlive()) {
      long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      if (elapsed > 120_000) {
        fail("kill point " + point + " not reached in 2 minutes");
      }
      boolean reached =
          switch (point) {
            case AFTER_50_MS -> elapsed >= 50;
            case AFTER_200_MS -> elapsed >= 200;
            case AFTER_500_MS -> elapsed >= 500;
            case AFTER_1000_MS -> elapsed >= 1000;
            case AFTER_2000_MS -> elapsed >= 2000;
            case FIRST_BLOB_HALF_WRITTEN -> partialOfAtLeast(root, 1 << 20);
            case SECOND_BLOB_HALF_WRITTEN ->
                newBlobs(root, blobsBefore) >= 1 && partialOfAtLeast(root, 1 << 20);
            case INDEX_REPLACED -> !readOrEmpty(root.resolve("index.json")).equals(indexBefore);
          };
      if (reached) {
        return true;
      }
      Thread.sleep(1);
    }
    return false;
  }

  static String readOrEmpty(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      return "";
    }
  }

  static boolean partialOfAtLeast(Path root, long bytes) {
    try (Stream<Path> s = Files.list(StoreFiles.blobDir(root))) {
      return s.anyMatch(
          p -> {
            try {
              return p.getFileName().toString().startsWith(".tmp-") && Files.size(p) >= bytes;
            } catch (IOException e) {
              return false; // renamed or deleted meanwhile
            }
          });
    } catch (IOException e) {
      return false; // the directory does not exist yet
    }
  }

  static int newBlobs(Path root, Set<String> before) {
    try {
      Set<String> now = new TreeSet<>(StoreFiles.blobFiles(root));
      now.removeAll(before);
      return now.size();
    } catch (IOException e) {
      return 0;
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(KillPoint.class)
  void killDashNineDuringALoadLeavesTheStoreReadable(KillPoint point, @TempDir Path dir)
      throws Exception {
    Path root = dir.resolve("store");
    ok(root, "load", "-q", "-i", keepArchive.toString());
    Set<String> blobsBefore = StoreFiles.blobFiles(root);

    boolean killed;
    StoreCli.Run loader;
    try (Child c =
        Child.start(dir, "load", "--root", root.toString(), "-q", "-i", bigArchive.toString())) {
      killed = awaitPoint(point, c, root, blobsBefore);
      if (killed) {
        c.kill();
      }
      loader = c.await(Duration.ofMinutes(3));
    }
    if (!killed) {
      loader.ok(); // it finished before the kill point: it must have succeeded
    }
    if (point.midWrite()) {
      assertTrue(killed, "the loader ended before " + point + ":\n" + loader);
      assertFalse(StoreFiles.leftovers(root).isEmpty(), "killed " + point + ": a partial blob");
    }
    List<String> left = StoreFiles.leftovers(root);
    Set<String> unreferenced = new TreeSet<>(StoreFiles.blobFiles(root));
    unreferenced.removeAll(StoreFiles.referenced(root));
    System.out.printf(
        "kill point %s: killed=%s exit=%d leftovers=%d unreferenced blobs=%d names=%s%n",
        point, killed, loader.exitCode(), left.size(), unreferenced.size(), names(root));
    checkReadable(root, dir);
    List<String> before = names(root);
    if (point == KillPoint.INDEX_REPLACED) {
      assertEquals(List.of("big:1", "keep:1"), before, "the index was replaced: committed");
    }

    StoreCli.Run prune = ok(root, "rm", "--prune");
    if (point.midWrite()) {
      assertTrue(prune.out().contains("leftovers of interrupted writes"), prune::toString);
    }
    StoreFiles.assertClean(root);
    assertEquals(before, names(root), "prune removes no image");
    checkReadable(root, dir);

    // the store works as before: the image loads (again) and exports
    ok(root, "load", "-q", "-i", bigArchive.toString());
    assertEquals(List.of("big:1", "keep:1"), names(root));
    assertArrayEquals(bigRootfs, export(root, "big:1", dir));
    StoreFiles.assertClean(root);
  }

  /** {@code images} works, keep is intact, big is either complete or absent. */
  static void checkReadable(Path root, Path dir) throws Exception {
    StoreFiles.assertIntact(root);
    ok(root, "images");
    List<String> names = names(root);
    assertTrue(
        names.equals(List.of("keep:1")) || names.equals(List.of("big:1", "keep:1")),
        names.toString());
    assertArrayEquals(keepRootfs, export(root, "keep:1", dir));
    if (names.contains("big:1")) {
      assertArrayEquals(bigRootfs, export(root, "big:1", dir));
    } else {
      StoreCli.Run r = StoreCli.run(root, "inspect", "big:1");
      assertEquals(1, r.exitCode(), r::toString);
    }
  }

  /** The very first load into an empty directory, killed while its first blob is written. */
  @Test
  void killDashNineDuringTheFirstLoadIntoAnEmptyStore(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("store");
    boolean killed;
    try (Child c =
        Child.start(dir, "load", "--root", root.toString(), "-q", "-i", bigArchive.toString())) {
      killed = awaitPoint(KillPoint.FIRST_BLOB_HALF_WRITTEN, c, root, Set.of());
      assertTrue(killed, "the loader ended before its first blob was half written");
      c.kill();
    }
    assertFalse(Files.exists(root.resolve("index.json")), "nothing was committed");
    StoreCli.Run images = ok(root, "images", "--format", "json");
    assertEquals("[ ]", images.out().strip(), images::toString);
    StoreCli.Run prune = ok(root, "rm", "--prune");
    assertTrue(prune.out().contains("leftovers"), prune::toString);
    assertEquals(List.of(), StoreFiles.leftovers(root));
    assertEquals(Set.of(), StoreFiles.blobFiles(root));
    ok(root, "load", "-q", "-i", keepArchive.toString());
    assertArrayEquals(keepRootfs, export(root, "keep:1", dir));
    StoreFiles.assertClean(root);
  }

  /**
   * kill -9 of the very first load into an empty directory at the moment it creates the store's
   * {@code oci-layout} file (polled without pause; up to ten attempts until one kill lands while
   * the temporary {@code .oci-layout.*.partial} exists). Every attempt, landed or not, must leave a
   * store that {@code rm --prune} cleans and that then loads images.
   */
  @Test
  void killDashNineWhileTheFirstLoadCreatesTheStore(@TempDir Path dir) throws Exception {
    int landed = 0;
    for (int attempt = 0; attempt < 10 && landed == 0; attempt++) {
      Path root = dir.resolve("store-" + attempt);
      try (Child c =
          Child.start(dir, "load", "--root", root.toString(), "-q", "-i", keepArchive.toString())) {
        while (c.isAlive()) {
          if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.list(root)) {
              if (s.anyMatch(p -> p.getFileName().toString().startsWith(".oci-layout."))) {
                c.kill();
                break;
              }
            } catch (IOException e) {
              // listed while changing: poll again
            }
          }
        }
      }
      boolean partialLeft;
      try (Stream<Path> s = Files.list(root)) {
        partialLeft = s.anyMatch(p -> p.getFileName().toString().startsWith(".oci-layout."));
      }
      if (partialLeft) {
        landed++;
      }
      StoreCli.Run images = StoreCli.run(root, "images");
      StoreCli.Run prune = StoreCli.run(root, "rm", "--prune");
      List<String> left = StoreFiles.leftovers(root);
      StoreCli.Run load = StoreCli.run(root, "load", "-q", "-i", keepArchive.toString());
      int a = attempt;
      assertAll(
          "attempt " + a + (partialLeft ? ", killed with .oci-layout.*.partial left" : ""),
          () -> assertEquals(0, images.exitCode(), images::toString),
          () -> assertEquals(0, prune.exitCode(), prune::toString),
          () -> assertEquals(List.of(), left, "rm --prune removes what the crash left"),
          () -> assertEquals(0, load.exitCode(), () -> "load after the crash:\n" + load));
      assertEquals(List.of("keep:1"), names(root));
      assertArrayEquals(keepRootfs, export(root, "keep:1", dir));
      StoreFiles.assertClean(root);
    }
    System.out.println("kill -9 during store creation: landed " + landed + " time(s)");
  }

  /**
   * The first load into an empty directory writes {@code oci-layout} the atomic way: a temporary
   * {@code .oci-layout.*.partial} file, synced, then renamed. {@code kill -9} between the two
   * leaves that temporary file as the only file besides the lock files. The store must still be
   * usable (and {@code rm --prune} must clean it up, as it does for the other leftovers).
   */
  @Test
  void aLoadKilledWhileCreatingTheStoreLeavesItUsable(@TempDir Path dir) throws Exception {
    Path root = Files.createDirectories(dir.resolve("store"));
    Files.createFile(root.resolve(".isula-gc.lock"));
    Files.createFile(root.resolve(".isula-index.lock"));
    Files.writeString(root.resolve(".oci-layout.8213654723.partial"), "{\"imageLayoutVer");

    ok(root, "images");
    ok(root, "rm", "--prune");
    List<String> left = StoreFiles.leftovers(root);
    StoreCli.Run load = StoreCli.run(root, "load", "-q", "-i", keepArchive.toString());
    assertAll(
        () -> assertEquals(List.of(), left, "rm --prune removes what the crash left"),
        () -> assertEquals(0, load.exitCode(), () -> "load after the crash and a prune:\n" + load));
    assertEquals(List.of("keep:1"), names(root));
    StoreFiles.assertClean(root);
  }
}
