package dev.isula.golden.store;

import static dev.isula.golden.store.StoreCli.export;
import static dev.isula.golden.store.StoreCli.names;
import static dev.isula.golden.store.StoreCli.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.golden.store.StoreCli.Child;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.LayerStream;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.store.ImageStore;
import dev.isula.toolkit.store.ImageStores;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readers against prune: an image open for reading keeps its blobs until it is closed (the prune of
 * another process waits), other loaders and readers are not held up by it, and listing the store
 * while a prune runs never fails.
 *
 * <p>Nothing here depends on timing: the checks are "the prune has not finished while the image is
 * open" (true forever if the lock works, so any wait is safe) and "it finishes once the image is
 * closed" (with a generous bound).
 */
class StoreReaderTest {
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  @TempDir static Path inputs;

  static final byte[] BASE = StoreImages.layer("base", "base of keep and x\n");
  static final TestImage KEEP =
      StoreImages.image("keep", BASE, StoreImages.layer("keep", "only in keep\n"));
  static final TestImage OTHER =
      StoreImages.image("other", StoreImages.layer("other", "loaded while x is open\n"));
  static TestImage imageX;

  static Path keepArchive;
  static Path xArchive;
  static Path otherArchive;
  static byte[] keepRootfs;
  static byte[] xRootfs;

  @TempDir Path dir;
  Path root;

  @BeforeAll
  static void images() throws Exception {
    imageX = StoreImages.image("x", Compression.NONE, BASE, StoreImages.randomLayer("x", 21, 8));
    keepArchive = StoreImages.dockerArchive(inputs.resolve("keep.tar"), KEEP, "keep:1");
    xArchive = StoreImages.dockerArchive(inputs.resolve("x.tar"), imageX, "x:1");
    otherArchive = StoreImages.dockerArchive(inputs.resolve("other.tar"), OTHER, "other:1");
    keepRootfs = export(inputs.resolve("none"), "docker-archive:" + keepArchive, inputs);
    xRootfs = export(inputs.resolve("none"), "docker-archive:" + xArchive, inputs);
  }

  @BeforeEach
  void store() throws Exception {
    root = dir.resolve("store");
    ok(root, "load", "-q", "-i", keepArchive.toString());
    ok(root, "load", "-q", "-i", xArchive.toString());
  }

  /** Reads every layer of an open image, verifying blob digests and DiffIDs. */
  static void readFully(ImageSource source) throws Exception {
    for (Layer l : source.image().layers()) {
      try (LayerStream s = l.openVerified()) {
        s.transferTo(OutputStream.nullOutputStream());
        s.verify();
      }
    }
  }

  /** Polls {@code condition} every 20 ms for up to two minutes; fails with {@code what}. */
  static void await(String what, Check condition) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        fail("not in " + TIMEOUT + ": " + what);
      }
      Thread.sleep(20);
    }
  }

  interface Check {
    boolean holds() throws Exception;
  }

  @Test
  void pruneInAnotherProcessWaitsUntilAnOpenImageIsClosed() throws Exception {
    Set<String> xOnly = new TreeSet<>(StoreFiles.blobsOf(root, StoreFiles.names(root).get("x:1")));
    xOnly.removeAll(StoreFiles.blobsOf(root, StoreFiles.names(root).get("keep:1")));
    assertEquals(3, xOnly.size(), "x's own layer, config and manifest");

    ImageStore store = ImageStores.open(root);
    ImageSource source = store.open("x:1", ReadOptions.defaults());
    Child prune;
    try {
      prune = Child.start(dir, "rm", "--root", root.toString(), "--prune", "x:1");
      // "rm" needs the index lock only: the name goes at once, then the prune waits for the gc lock
      await(
          "x:1 removed from index.json (or the rm process ended)",
          () -> !StoreFiles.names(root).containsKey("x:1") || !prune.isAlive());
      // give a prune that ignores the open image ample opportunity to delete its blobs
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      while (System.nanoTime() < until) {
        assertTrue(prune.isAlive(), () -> "the prune finished while x was open:\n" + result(prune));
        for (String b : xOnly) {
          assertTrue(Files.exists(StoreFiles.blob(root, b)), "blob " + b + " of the open image");
        }
        Thread.sleep(50);
      }
      assertEquals(List.of("keep:1"), names(root), "the name is gone already");
      readFully(source); // every blob of the open image is still there, intact
      assertTrue(prune.isAlive(), () -> "the prune finished while x was open:\n" + result(prune));
    } finally {
      source.close();
    }
    StoreCli.Run r = prune.await(TIMEOUT).ok();
    assertEquals("Untagged: x:1", r.outLines().get(0), r::toString);
    assertTrue(r.outLines().get(1).startsWith("Deleted: sha256:"), r::toString);
    assertTrue(r.outLines().get(2).startsWith("Pruned 3 blobs"), r::toString);
    for (String b : xOnly) {
      assertFalse(Files.exists(StoreFiles.blob(root, b)), "pruned after the close: " + b);
    }
    StoreFiles.assertClean(root);
    assertArrayEquals(keepRootfs, export(root, "keep:1", dir));
  }

  private static String result(Child c) {
    try {
      return c.result().toString();
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Test
  void anOpenImageHoldsUpNeitherLoadersNorReaders() throws Exception {
    ImageStore store = ImageStores.open(root);
    try (ImageSource source = store.open("x:1", ReadOptions.defaults())) {
      String r = root.toString();
      try (Child load = Child.start(dir, "load", "--root", r, "-q", "-i", otherArchive.toString());
          Child read =
              Child.start(
                  dir, "export", "--root", r, "-q", "x:1", dir.resolve("x.tar").toString());
          Child rm = Child.start(dir, "rm", "--root", r, "keep:1")) {
        assertEquals(List.of("Loaded image: other:1"), load.await(TIMEOUT).ok().outLines());
        read.await(TIMEOUT).ok();
        rm.await(TIMEOUT).ok();
      }
      assertArrayEquals(xRootfs, Files.readAllBytes(dir.resolve("x.tar")));
      assertEquals(List.of("other:1", "x:1"), names(root));
      readFully(source);
    }
    ok(root, "rm", "--prune");
    StoreFiles.assertClean(root);
    assertArrayEquals(xRootfs, export(root, "x:1", dir));
  }

  /**
   * {@code images} reads index.json, then each image's manifest and config. This test makes a prune
   * happen exactly between the two: index.json is a FIFO, so {@code images} (a separate JVM) blocks
   * opening it until the test writes it; meanwhile {@code rm --prune x:1} runs. The test then hands
   * {@code images} the index as it was before the removal, as if it had read it a moment before the
   * prune. {@code images} must not fail: either it holds off the prune (the gc lock, shared by
   * "anything reading blobs" per docs/store.md) or it tolerates an image pruned under it.
   */
  @Test
  void listingTheStoreWhileAPruneRunsNeverFails() throws Exception {
    Path index = root.resolve("index.json");
    byte[] before = Files.readAllBytes(index);
    Path fifo = root.resolve("index.fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertEquals(0, mkfifo.waitFor(), "mkfifo");
    Files.move(fifo, index, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

    try (Child images = Child.start(dir, "images", "--root", root.toString(), "--format", "json")) {
      // opening a FIFO for writing returns once the reader has opened it
      CompletableFuture<OutputStream> writer =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return Files.newOutputStream(index);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      OutputStream fifoOut;
      try {
        fifoOut = writer.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        fail("images never opened index.json:\n" + images.result());
        return;
      }
      // index.json is a regular file again (the FIFO stays open in both processes)
      Path tmp = root.resolve("index.tmp");
      Files.write(tmp, before);
      Files.move(tmp, index, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

      CompletableFuture<StoreCli.Run> prune =
          CompletableFuture.supplyAsync(() -> StoreCli.run(root, "rm", "--prune", "x:1"));
      try {
        // a prune that does not wait for images ends quickly; one that waits, never: bounded
        prune.get(10, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        // waiting for images to finish: fine
      }
      try (OutputStream out = fifoOut) {
        out.write(before);
      }
      StoreCli.Run listed = images.await(TIMEOUT);
      assertEquals(0, listed.exitCode(), () -> "images during a prune failed:\n" + listed);
      List<String> listedNames = new ArrayList<>();
      for (JsonNode i : Json.mapper().readTree(listed.out())) {
        i.path("Names").forEach(n -> listedNames.add(n.asText()));
      }
      assertTrue(listedNames.contains("keep:1"), listed::toString);
      prune.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).ok();
    }
    assertEquals(List.of("keep:1"), names(root));
    StoreFiles.assertClean(root);
  }
}
