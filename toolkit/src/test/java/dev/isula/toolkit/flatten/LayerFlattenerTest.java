package dev.isula.toolkit.flatten;

import static dev.isula.toolkit.testing.TarBuilder.base;
import static dev.isula.toolkit.testing.TarBuilder.tar;
import static dev.isula.toolkit.testing.TarEntries.find;
import static dev.isula.toolkit.testing.TarEntries.names;
import static dev.isula.toolkit.testing.TestImage.image;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsafeEntryException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.blob.FileRange;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.tar.EntryNames;
import dev.isula.toolkit.tar.EntrySink;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarWriter;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TarEntries;
import dev.isula.toolkit.testing.TarEntries.Item;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The merge rules of {@link LayerFlattener}, one test (or one parameterised family) per rule. Each
 * test builds layers in memory, flattens them into a byte array and reads the result back.
 */
class LayerFlattenerTest {
  private static final long M = TarBuilder.MTIME;

  // ---- helpers ----

  /** Flattens as export to a file does: into an output that can be discarded and begun again. */
  private static byte[] flattenBytes(List<Layer> layers, int threads)
      throws IOException, IsulaException {
    return flattenBytes(layers, threads, s -> {});
  }

  private static byte[] flattenBytes(List<Layer> layers, int threads, Consumer<String> log)
      throws IOException, IsulaException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long n =
        LayerFlattener.create(threads, log)
            .flatten(
                layers,
                new LayerFlattener.Output() {
                  @Override
                  public EntrySink open() {
                    return new TarWriter(out);
                  }

                  @Override
                  public void discard() {
                    out.reset();
                  }
                });
    byte[] tar = out.toByteArray();
    assertEquals(n, TarEntries.read(tar).size(), "flatten() must return the entry count");
    return tar;
  }

  /** Flattens as export to standard output does: into a sink that cannot be taken back. */
  private static List<Item> flattenToStream(List<Layer> layers, Consumer<String> log)
      throws IOException, IsulaException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerFlattener.create(2, log).flatten(layers, new TarWriter(out));
    return TarEntries.read(out.toByteArray());
  }

  private static List<Item> flatten(TestImage img) throws IOException, IsulaException {
    return TarEntries.read(flattenBytes(img.layers(), 4));
  }

  private static List<Item> flatten(List<Layer> layers) throws IOException, IsulaException {
    return TarEntries.read(flattenBytes(layers, 4));
  }

  private static void flattenFails(List<Layer> layers) throws IOException, IsulaException {
    flattenBytes(layers, 4);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] pseudoRandom(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** A directory entry with explicit attributes. */
  private static TarEntry dir(String name, int mode, long uid, long mtime) {
    return base(name).type(EntryType.DIRECTORY).mode(mode).uid(uid).mtime(mtime, 0).build();
  }

  private static Layer copy(
      Layer l, int count, Digest digest, long size, Digest diffId, BlobSource source) {
    return new Layer(l.index(), count, l.mediaType(), digest, size, diffId, source);
  }

  /**
   * Every hardlink in the output points to a non-link entry written earlier, and no name is written
   * twice.
   */
  private static void assertLinksResolveBackwards(List<Item> items) {
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      TarEntry e = items.get(i).entry();
      String name = stripSlash(e.name());
      assertFalse(position.containsKey(name), "written twice: " + name);
      position.put(name, i);
      if (e.type() == EntryType.HARDLINK) {
        Integer target = position.get(e.linkName());
        assertTrue(
            target != null && target < i,
            "hardlink " + e.name() + " -> " + e.linkName() + " is written before its target");
        assertEquals(
            EntryType.FILE,
            items.get(target).entry().type(),
            "hardlink " + e.name() + " must point at the file itself");
      }
    }
  }

  private static String stripSlash(String name) {
    return name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
  }

  // ---- rule: .wh.NAME hides NAME and its subtree from lower layers only ----

  @Test
  void whiteoutHidesLowerFileAndWholeLowerSubtree() throws Exception {
    TestImage img =
        image()
            .layer(
                tar()
                    .dir("etc")
                    .file("etc/a", "a")
                    .file("etc/b", "b")
                    .dir("var")
                    .dir("var/lib")
                    .file("var/lib/x", "x")
                    .file("keep", "k")
                    .build())
            .layer(tar().whiteout("etc/a").file("other", "o").build())
            .layer(tar().whiteout("var").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("etc/", "etc/b", "keep", "other"), names(out));
  }

  @Test
  void whiteoutDoesNotHideEntryOfItsOwnLayer() throws Exception {
    TestImage img =
        image()
            .layer(tar().file("a", "old a").file("b", "old b").file("c", "old c").build())
            .layer(
                tar()
                    .file("a", "new a")
                    .whiteout("a") // after the entry it names: still only hides the lower one
                    .whiteout("b") // before the entry it names
                    .file("b", "new b")
                    .whiteout("c")
                    .build());

    List<Item> out = flatten(img);

    assertEquals(List.of("a", "b"), names(out));
    assertEquals("new a", find(out, "a").text());
    assertEquals("new b", find(out, "b").text());
  }

  @Test
  void whiteoutInMiddleLayerDoesNotHideHigherLayers() throws Exception {
    TestImage img =
        image()
            .layer(tar().dir("d").file("d/x", "0").build())
            .layer(tar().whiteout("d").build())
            .layer(tar().dir("d").file("d/y", "2").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("d/", "d/y"), names(out));
  }

  // ---- rule: .wh..wh..opq hides the lower children, wherever it sits ----

  @ParameterizedTest(name = "marker first: {0}")
  @ValueSource(booleans = {true, false})
  void opaqueMarkerHidesLowerChildrenButKeepsOwnLayerAndDirectory(boolean markerFirst)
      throws Exception {
    TarBuilder upper = tar();
    if (markerFirst) {
      upper.opaque("d");
    }
    upper.file("d/new", "new").dir("d/sub2").file("d/sub2/z", "z");
    if (!markerFirst) {
      upper.opaque("d");
    }
    TestImage img =
        image()
            .layer(
                tar()
                    .entry(dir("d", 0750, 3, M), new byte[0])
                    .file("d/old", "old")
                    .dir("d/sub")
                    .file("d/sub/deep", "deep")
                    .file("outside", "o")
                    .build())
            .layer(upper.build());

    List<Item> out = flatten(img);

    assertEquals(List.of("d/", "outside", "d/new", "d/sub2/", "d/sub2/z"), names(out));
    TarEntry d = find(out, "d/").entry();
    assertEquals(0750, d.mode(), "the directory itself survives with its attributes");
    assertEquals(3, d.uid());
  }

  @Test
  void opaqueMarkerHidesEveryLowerLayerButNoHigherOne() throws Exception {
    TestImage img =
        image()
            .layer(tar().dir("d").file("d/a", "0").build())
            .layer(tar().file("d/b", "1").build())
            .layer(tar().file("d/c", "2").opaque("d").build())
            .layer(tar().file("d/e", "3").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("d/", "d/c", "d/e"), names(out));
  }

  @Test
  void opaqueMarkerAtRootHidesAllLowerContent() throws Exception {
    TestImage img =
        image()
            .layer(tar().file("a", "a").dir("d").file("d/x", "x").build())
            .layer(tar().opaque("").file("b", "b").build());

    assertEquals(List.of("b"), names(flatten(img)));
  }

  // ---- rule: whiteout files never appear; malformed ones are errors; AUFS metadata skipped ----

  @Test
  void whiteoutAndMetadataEntriesNeverReachTheOutput() throws Exception {
    TestImage img =
        image()
            .layer(tar().file(".wh.ghost", "").dir("d").file("d/x", "x").opaque("d").build())
            .layer(
                tar()
                    .whiteout("d/x")
                    .whiteout("nothing-here")
                    .opaque("d")
                    .file(".wh..wh.aufs", "")
                    .dir(".wh..wh.plnk")
                    .file(".wh..wh.plnk/123.456", "hardlink store")
                    .file("d/y", "y")
                    .build());

    List<Item> out = flatten(img);

    assertEquals(List.of("d/", "d/y"), names(out));
    for (Item i : out) {
      assertFalse(i.name().contains(".wh."), i.name());
    }
  }

  static Stream<Arguments> malformedWhiteouts() {
    List<Arguments> args = new ArrayList<>();
    for (String name : List.of(".wh.", "d/.wh.", ".wh..", "d/.wh..", ".wh...", ".wh.x/y")) {
      for (int layer = 0; layer < 2; layer++) {
        args.add(Arguments.of(name, layer));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} in layer {1}")
  @MethodSource("malformedWhiteouts")
  void malformedWhiteoutIsAnError(String name, int layer) {
    byte[] bad = tar().dir("d").file(name, "").build();
    byte[] good = tar().dir("d").file("d/ok", "ok").build();
    TestImage img = layer == 0 ? image().layer(bad).layer(good) : image().layer(good).layer(bad);

    InvalidImageException e =
        assertThrows(InvalidImageException.class, () -> flattenFails(img.layers()));

    assertTrue(e.getMessage().contains("layer " + (layer + 1) + "/2"), e.getMessage());
  }

  // ---- rule: upper layer wins for files; directory attributes come from the topmost layer ----

  @Test
  void upperLayerWinsForFilesSymlinksAndSpecialFiles() throws Exception {
    TestImage img =
        image()
            .layer(
                tar().file("a", "one").symlink("s", "a").file("f", "was a file").fifo("p").build())
            .layer(
                tar()
                    .entry(base("a").mode(0600).uid(7).size(3).build(), bytes("two"))
                    .file("s", "now a file")
                    .symlink("f", "a")
                    .build())
            .layer(tar().file("p", "three").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("a", "s", "f", "p"), names(out));
    Item a = find(out, "a");
    assertEquals("two", a.text());
    assertEquals(0600, a.entry().mode());
    assertEquals(7, a.entry().uid());
    assertEquals(EntryType.FILE, find(out, "s").entry().type());
    assertEquals("now a file", find(out, "s").text());
    assertEquals(EntryType.SYMLINK, find(out, "f").entry().type());
    assertEquals("a", find(out, "f").entry().linkName());
    assertEquals("three", find(out, "p").text());
  }

  @Test
  void directoryAttributesComeFromTopmostLayerButDirectoryPrecedesChildren() throws Exception {
    TestImage img =
        image()
            .layer(
                tar()
                    .entry(dir("etc", 0755, 0, M), new byte[0])
                    .file("etc/passwd", "root:x:0:0")
                    .build())
            .layer(
                tar()
                    .entry(
                        base("etc")
                            .type(EntryType.DIRECTORY)
                            .mode(0700)
                            .uid(5)
                            .gid(6)
                            .mtime(M + 100, 250_000_000)
                            .build(),
                        new byte[0])
                    .file("etc/shadow", "secret")
                    .build())
            .layer(tar().file("etc/group", "root:x:0:").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("etc/", "etc/passwd", "etc/shadow", "etc/group"), names(out));
    TarEntry etc = out.get(0).entry();
    assertEquals(0700, etc.mode());
    assertEquals(5, etc.uid());
    assertEquals(6, etc.gid());
    assertEquals(M + 100, etc.mtimeSeconds());
    assertEquals(250_000_000, etc.mtimeNanos());
  }

  // ---- rule: a non-directory replacing a directory drops its lower children, and vice versa ----

  @Test
  void fileOrSymlinkReplacingDirectoryDropsItsLowerChildren() throws Exception {
    TestImage img =
        image()
            .layer(
                tar()
                    .dir("a")
                    .file("a/x", "x")
                    .dir("a/sub")
                    .file("a/sub/y", "y")
                    .dir("s")
                    .file("s/z", "z")
                    .file("b", "b")
                    .build())
            .layer(tar().file("a", "file").symlink("s", "b").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("b", "a", "s"), names(out));
    assertEquals(EntryType.FILE, find(out, "a").entry().type());
    assertEquals("file", find(out, "a").text());
    assertEquals(EntryType.SYMLINK, find(out, "s").entry().type());
  }

  @Test
  void directoryReplacingFileOrSymlinkWorks() throws Exception {
    TestImage img =
        image()
            .layer(tar().file("a", "x").symlink("l", "a").build())
            .layer(tar().dir("a").file("a/y", "y").dir("l").file("l/z", "z").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("a/", "a/y", "l/", "l/z"), names(out));
    assertEquals(EntryType.DIRECTORY, find(out, "a/").entry().type());
    assertEquals(EntryType.DIRECTORY, find(out, "l/").entry().type());
  }

  @Test
  void directoryReplacedByFileThenDirectoryAgainKeepsOnlyNewChildren() throws Exception {
    TestImage img =
        image()
            .layer(tar().dir("d").file("d/x", "0").build())
            .layer(tar().file("d", "file").build())
            .layer(tar().dir("d").file("d/y", "2").build());

    assertEquals(List.of("d/", "d/y"), names(flatten(img)));
  }

  // ---- rule: whited out and re-added in the same layer does not resurrect old children ----

  @ParameterizedTest(name = "whiteout first: {0}")
  @ValueSource(booleans = {true, false})
  void directoryWhitedOutAndReAddedInSameLayerHasOnlyNewChildren(boolean whiteoutFirst)
      throws Exception {
    TarBuilder upper = tar();
    if (whiteoutFirst) {
      upper.whiteout("d");
    }
    upper.entry(dir("d", 0700, 9, M), new byte[0]).file("d/new", "new");
    if (!whiteoutFirst) {
      upper.whiteout("d");
    }
    TestImage img =
        image()
            .layer(
                tar()
                    .dir("d")
                    .file("d/old", "old")
                    .dir("d/sub")
                    .file("d/sub/older", "older")
                    .build())
            .layer(upper.build());

    List<Item> out = flatten(img);

    assertEquals(List.of("d/", "d/new"), names(out));
    assertEquals(0700, out.get(0).entry().mode());
    assertEquals(9, out.get(0).entry().uid());
  }

  // ---- rule: hardlinks ----

  @Test
  void hardlinkTargetsAreWrittenBeforeTheirLinks() throws Exception {
    TestImage img =
        image()
            .layer(tar().file("x", "bottom").hardlink("y", "x").hardlink("y2", "y").build())
            .layer(tar().dir("u").file("u/p", "upper").hardlink("u/q", "u/p").build())
            .layer(tar().hardlink("r", "u/p").hardlink("s", "x").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("x", "y", "y2", "u/", "u/p", "u/q", "r", "s"), names(out));
    assertEquals("x", find(out, "y").entry().linkName());
    assertEquals("x", find(out, "y2").entry().linkName(), "a link to a link is the same file");
    assertEquals("u/p", find(out, "u/q").entry().linkName());
    assertEquals("u/p", find(out, "r").entry().linkName());
    assertEquals("x", find(out, "s").entry().linkName());
    assertLinksResolveBackwards(out);
  }

  @Test
  void hardlinkInUpperLayerToFileOfLowerLayerStaysAHardlink() throws Exception {
    TestImage img =
        image()
            .layer(tar().dir("usr").dir("usr/bin").file("usr/bin/python3.11", "py").build())
            .layer(tar().hardlink("usr/bin/python3", "usr/bin/python3.11").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("usr/", "usr/bin/", "usr/bin/python3.11", "usr/bin/python3"), names(out));
    TarEntry link = find(out, "usr/bin/python3").entry();
    assertEquals(EntryType.HARDLINK, link.type());
    assertEquals("usr/bin/python3.11", link.linkName());
    assertEquals(0, link.size());
  }

  static Stream<Arguments> deletedTargetCases() {
    // layers of (link layout) where the target 'x' is deleted above the links
    return Stream.of(
        Arguments.of(
            "links in bottom layer",
            List.of(
                tar()
                    .entry(base("x").mode(0750).uid(3).gid(4).size(4).build(), bytes("data"))
                    .hardlink("y", "x")
                    .build(),
                tar().whiteout("x").build())),
        Arguments.of(
            "links in upper layer, target in bottom",
            List.of(
                tar()
                    .entry(base("x").mode(0750).uid(3).gid(4).size(4).build(), bytes("data"))
                    .build(),
                tar().hardlink("y", "x").build(),
                tar().whiteout("x").build())),
        Arguments.of(
            "links and target in one upper layer",
            List.of(
                tar().file("unrelated", "u").build(),
                tar()
                    .entry(base("x").mode(0750).uid(3).gid(4).size(4).build(), bytes("data"))
                    .hardlink("y", "x")
                    .build(),
                tar().whiteout("x").build())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deletedTargetCases")
  void hardlinkWhoseTargetWasDeletedBecomesRegularFileWithItsContent(
      String description, List<byte[]> layers) throws Exception {
    TestImage img = image();
    layers.forEach(img::layer);

    List<Item> out = flatten(img);

    assertFalse(names(out).contains("x"));
    TarEntry y = find(out, "y").entry();
    assertEquals(EntryType.FILE, y.type());
    assertEquals("data", find(out, "y").text());
    assertEquals(0750, y.mode(), "the file keeps the target's attributes");
    assertEquals(3, y.uid());
    assertEquals(4, y.gid());
    assertEquals("", y.linkName());
  }

  @Test
  void hardlinkWhoseTargetWasReplacedKeepsTheOldContent() throws Exception {
    TestImage img =
        image()
            .layer(tar().file("x", "old").hardlink("y", "x").file("p", "old p").build())
            .layer(tar().file("x", "new").hardlink("q", "p").build())
            .layer(tar().file("p", "new p").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("y", "x", "q", "p"), names(out));
    assertEquals("new", find(out, "x").text());
    assertEquals(EntryType.FILE, find(out, "y").entry().type());
    assertEquals("old", find(out, "y").text());
    assertEquals(EntryType.FILE, find(out, "q").entry().type());
    assertEquals("old p", find(out, "q").text());
    assertEquals("new p", find(out, "p").text());
  }

  @Test
  void twoSurvivingLinksToDeletedTargetBecomeOneFileAndOneHardlink() throws Exception {
    TestImage bottomLinks =
        image()
            .layer(tar().file("x", "data").hardlink("y", "x").hardlink("z", "x").build())
            .layer(tar().whiteout("x").build());
    TestImage upperLinks =
        image()
            .layer(tar().file("x", "data").build())
            .layer(tar().hardlink("y", "x").hardlink("z", "x").build())
            .layer(tar().whiteout("x").build());

    for (TestImage img : List.of(bottomLinks, upperLinks)) {
      List<Item> out = flatten(img);

      assertEquals(List.of("y", "z"), names(out));
      assertEquals(EntryType.FILE, find(out, "y").entry().type());
      assertEquals("data", find(out, "y").text());
      assertEquals(EntryType.HARDLINK, find(out, "z").entry().type());
      assertEquals("y", find(out, "z").entry().linkName());
      assertLinksResolveBackwards(out);
    }
  }

  // ---- rule: a path written twice in one layer appears once; the last entry wins ----

  /** The same layer as the only layer, as the bottom under an upper one, and as an upper layer. */
  private static List<List<Layer>> placements(byte[] layer) {
    return List.of(
        image().layer(layer).layers(),
        image().layer(layer).layer(tar().file("other", "o").build()).layers(),
        image().layer(tar().dir("etc").build()).layer(layer).layers());
  }

  private static List<Item> without(List<Item> items, String name) {
    return items.stream().filter(i -> !stripSlash(i.entry().name()).equals(name)).toList();
  }

  @Test
  void aFileWrittenTwiceInOneLayerAppearsOnceWithTheLastContent() throws Exception {
    byte[] layer =
        tar().dir("etc").file("etc/motd", "first\n").file("etc/motd", "second, longer\n").build();
    for (List<Layer> layers : placements(layer)) {
      List<String> log = new CopyOnWriteArrayList<>();
      List<Item> out = TarEntries.read(flattenBytes(layers, 2, log::add));
      assertEquals(1, out.stream().filter(i -> i.entry().name().equals("etc/motd")).count());
      assertEquals("second, longer\n", find(out, "etc/motd").text());
      assertLinksResolveBackwards(out);
    }
  }

  @Test
  void aBottomLayerWithARepeatedPathIsReadAgainIndexedAndSaysSo() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    List<Layer> layers = image().layer(tar().file("a", "1").file("a", "2").build()).layers();
    flattenBytes(layers, 2, log::add);
    assertTrue(
        log.stream().anyMatch(l -> l.contains("'a' is written twice") && l.contains("indexed")),
        String.join("\n", log));
  }

  @Test
  void aStreamKeepsBothEntriesInOrderAndWarnsOnce() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    List<Layer> layers =
        image().layer(tar().file("a", "1").file("a", "2").file("a", "3").build()).layers();
    List<Item> out = flattenToStream(layers, log::add);
    assertEquals(List.of("a", "a", "a"), names(out));
    assertEquals("3", out.get(2).text());
    assertEquals(1, log.stream().filter(l -> l.startsWith("warning: ")).count(), log.toString());
  }

  @Test
  void aSelfHardlinkAfterTheFileChangesNothing() throws Exception {
    // GNU tar writes this for a path given twice: tar -cf x.tar a a
    byte[] layer = tar().dir("etc").file("etc/a", "data").hardlink("etc/a", "etc/a").build();
    for (List<Layer> layers : placements(layer)) {
      List<Item> out = flatten(layers);
      assertEquals(EntryType.FILE, find(out, "etc/a").entry().type());
      assertEquals("data", find(out, "etc/a").text());
      assertLinksResolveBackwards(out);
    }
  }

  @Test
  void aHardlinkToAFileReplacedLaterKeepsTheOldContent() throws Exception {
    // extraction: b is linked to the first etc/a; the second replaces etc/a and leaves b alone
    byte[] layer =
        tar()
            .dir("etc")
            .file("etc/a", "old")
            .hardlink("etc/b", "etc/a")
            .file("etc/a", "new")
            .hardlink("etc/c", "etc/a")
            .build();
    for (List<Layer> layers : placements(layer)) {
      List<Item> out = flatten(layers);
      assertEquals("new", find(out, "etc/a").text());
      assertEquals(EntryType.FILE, find(out, "etc/b").entry().type());
      assertEquals("old", find(out, "etc/b").text());
      assertEquals(EntryType.HARDLINK, find(out, "etc/c").entry().type());
      assertEquals("etc/a", find(out, "etc/c").entry().linkName());
      assertLinksResolveBackwards(out);
    }
  }

  @Test
  void aFileAfterADirectoryOfTheSameLayerReplacesItAndItsChildren() throws Exception {
    // as umoci and docker extract it (GNU tar refuses: "Cannot open: File exists")
    byte[] layer =
        tar()
            .dir("etc")
            .dir("etc/d")
            .file("etc/d/child", "c")
            .dir("etc/d/sub")
            .file("etc/d/sub/deep", "d")
            .file("etc/d", "now a file")
            .build();
    for (List<Layer> layers : placements(layer)) {
      List<Item> out = flatten(layers);
      assertEquals(EntryType.FILE, find(out, "etc/d").entry().type());
      assertEquals("now a file", find(out, "etc/d").text());
      assertTrue(names(out).stream().noneMatch(n -> n.startsWith("etc/d/")), names(out).toString());
      assertLinksResolveBackwards(out);
    }
  }

  @Test
  void aFileAfterADirectoryAlsoHidesTheLowerLayersChildren() throws Exception {
    List<Item> out =
        flatten(
            image()
                .layer(tar().dir("d").file("d/lower", "l").build())
                .layer(tar().dir("d").file("d/upper", "u").file("d", "f").build()));
    assertEquals(List.of("d"), names(out));
    assertEquals("f", find(out, "d").text());
  }

  @Test
  void aHardlinkIntoADirectoryReplacedEarlierIsAnError() {
    byte[] layer =
        tar().dir("d").file("d/child", "c").file("d", "f").hardlink("h", "d/child").build();
    for (List<Layer> layers : placements(layer)) {
      InvalidImageException e =
          assertThrows(InvalidImageException.class, () -> flattenFails(layers));
      assertTrue(e.getMessage().contains("'d/child'"), e.getMessage());
    }
  }

  @Test
  void aHardlinkMadeBeforeItsDirectoryIsReplacedKeepsTheContent() throws Exception {
    byte[] layer =
        tar().dir("d").file("d/child", "c").hardlink("h", "d/child").file("d", "f").build();
    for (List<Layer> layers : placements(layer)) {
      List<Item> out = flatten(layers);
      assertEquals(EntryType.FILE, find(out, "h").entry().type());
      assertEquals("c", find(out, "h").text());
      assertEquals("f", find(out, "d").text());
    }
  }

  @Test
  void aDirectoryWrittenTwiceKeepsBothChildrenAndTheLastAttributes() throws Exception {
    byte[] layer =
        tar()
            .entry(dir("d", 0755, 0, M), new byte[0])
            .file("d/x", "x")
            .entry(dir("d", 0700, 7, M), new byte[0])
            .file("d/y", "y")
            .build();
    for (List<Layer> layers : placements(layer)) {
      List<Item> out = flatten(layers);
      assertEquals(
          1, names(out).stream().filter(n -> n.equals("d/")).count(), names(out).toString());
      assertEquals(0700, find(out, "d/").entry().mode());
      assertEquals(7, find(out, "d/").entry().uid());
      assertEquals("x", find(out, "d/x").text());
      assertEquals("y", find(out, "d/y").text());
    }
  }

  @Test
  void aDirectoryAfterItsChildrenIsWrittenOnceWithItsOwnAttributes() throws Exception {
    // the parent made up for d/x before d's entry must not stay as a second entry for d
    List<Item> out =
        flatten(
            image().layer(tar().file("d/x", "x").entry(dir("d", 0701, 5, M), new byte[0]).build()));
    assertEquals(1, names(out).stream().filter(n -> n.equals("d/")).count(), names(out).toString());
    assertEquals(0701, find(out, "d/").entry().mode());
    assertEquals(5, find(out, "d/").entry().uid());
    assertLinksResolveBackwards(out);
  }

  @Test
  void hardlinkToItselfIsAnError() {
    for (TestImage img :
        List.of(
            image().layer(tar().hardlink("y", "y").build()),
            image()
                .layer(tar().file("a", "a").build())
                .layer(tar().hardlink("y", "./y").build()))) {
      InvalidImageException e =
          assertThrows(InvalidImageException.class, () -> flattenFails(img.layers()));
      assertTrue(e.getMessage().contains("points to itself"), e.getMessage());
    }
  }

  @Test
  void hardlinkToMissingTargetIsAnError() {
    TestImage bottom = image().layer(tar().file("a", "a").hardlink("y", "nope").build());
    TestImage upper =
        image().layer(tar().file("a", "a").build()).layer(tar().hardlink("y", "nope").build());
    TestImage targetDeletedBeforeLinkLayer =
        image()
            .layer(tar().file("x", "x").build())
            .layer(tar().whiteout("x").build())
            .layer(tar().hardlink("y", "x").build());
    TestImage targetLaterInSameLayer =
        image().layer(tar().hardlink("y", "x").file("x", "x").build());

    for (TestImage img : List.of(bottom, upper, targetDeletedBeforeLinkLayer)) {
      InvalidImageException e =
          assertThrows(InvalidImageException.class, () -> flattenFails(img.layers()));
      assertTrue(e.getMessage().contains("'y'"), e.getMessage());
    }
    assertThrows(InvalidImageException.class, () -> flattenFails(targetLaterInSameLayer.layers()));
  }

  @Test
  void hardlinkToDirectoryIsAnError() {
    TestImage img = image().layer(tar().dir("d").build()).layer(tar().hardlink("y", "d").build());

    assertThrows(InvalidImageException.class, () -> flattenFails(img.layers()));
  }

  // ---- rule: names are normalised before comparison ----

  @Test
  void namesAreNormalisedBeforeComparison() throws Exception {
    TestImage img =
        image()
            .layer(
                tar()
                    .dir("./etc/")
                    .file("./etc/passwd", "old")
                    .file("./etc/group", "group")
                    .file("./etc/hosts", "hosts")
                    .hardlink("./etc/hosts.link", "./etc/hosts")
                    .build())
            .layer(
                tar()
                    .file("etc//passwd", "new")
                    .whiteout("./etc/./group")
                    .file("etc/./motd", "motd")
                    .dir("var/")
                    .file("var//log/", "not a dir despite the slash")
                    .build());

    List<Item> out = flatten(img);

    assertEquals(
        List.of("etc/", "etc/hosts", "etc/hosts.link", "etc/passwd", "etc/motd", "var/", "var/log"),
        names(out));
    assertEquals("new", find(out, "etc/passwd").text());
    assertEquals("etc/hosts", find(out, "etc/hosts.link").entry().linkName());
    for (Item i : out) {
      assertFalse(i.name().startsWith("./"), i.name());
      assertFalse(i.name().contains("//"), i.name());
      assertFalse(i.name().contains("/./"), i.name());
    }
  }

  static Stream<Arguments> unsafeNames() {
    List<Arguments> args = new ArrayList<>();
    for (String name : List.of("../x", "/abs", "/etc/passwd", "a/../../x", "a/..", "./../x")) {
      for (int layer = 0; layer < 2; layer++) {
        args.add(Arguments.of(name, layer));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0} in layer {1}")
  @MethodSource("unsafeNames")
  void escapingNamesAreUnsafe(String name, int layer) {
    byte[] bad = tar().file(name, "evil").build();
    byte[] good = tar().file("ok", "ok").build();
    TestImage img = layer == 0 ? image().layer(bad).layer(good) : image().layer(good).layer(bad);

    UnsafeEntryException e =
        assertThrows(UnsafeEntryException.class, () -> flattenFails(img.layers()));

    assertTrue(e.getMessage().contains("layer " + (layer + 1) + "/2"), e.getMessage());
  }

  @Test
  void hardlinkPointingOutsideIsUnsafe() {
    for (TestImage img :
        List.of(
            image().layer(tar().hardlink("y", "../../etc/shadow").build()),
            image()
                .layer(tar().file("a", "a").build())
                .layer(tar().hardlink("y", "a/../../x").build()))) {
      assertThrows(UnsafeEntryException.class, () -> flattenFails(img.layers()));
    }
  }

  @Test
  void symlinkTargetsAreKeptVerbatim() throws Exception {
    TestImage img =
        image()
            .layer(tar().symlink("rel", "../usr/lib").symlink("abs", "/usr/lib").build())
            .layer(tar().symlink("dots", "./a//b/../c").build());

    List<Item> out = flatten(img);

    assertEquals("../usr/lib", find(out, "rel").entry().linkName());
    assertEquals("/usr/lib", find(out, "abs").entry().linkName());
    assertEquals("./a//b/../c", find(out, "dots").entry().linkName());
  }

  // ---- rule: parents come before children ----

  @Test
  void parentsPrecedeChildrenWhenUpperLayerListsChildFirstOrOmitsParent() throws Exception {
    TestImage img =
        image()
            .layer(tar().file("base", "b").build())
            .layer(
                tar()
                    .file("a/b/c", "c")
                    .entry(dir("a", 0700, 4, M + 5), new byte[0])
                    .file("q/x", "x")
                    .build())
            .layer(tar().entry(dir("q", 0711, 8, M + 6), new byte[0]).build());

    List<Item> out = flatten(img);

    assertEquals(List.of("base", "a/", "a/b/", "a/b/c", "q/", "q/x"), names(out));
    TarEntry a = find(out, "a/").entry();
    assertEquals(0700, a.mode(), "a parent defined later in the same layer keeps its attributes");
    assertEquals(4, a.uid());
    TarEntry q = find(out, "q/").entry();
    assertEquals(0711, q.mode(), "a parent defined in a later layer keeps its attributes");
    assertEquals(8, q.uid());
    TarEntry synthesised = find(out, "a/b/").entry();
    assertEquals(EntryType.DIRECTORY, synthesised.type());
    assertEquals(0755, synthesised.mode());
    assertEquals(0, synthesised.uid());
    assertEquals(0, synthesised.gid());
    assertEquals("", synthesised.uname());
  }

  @Test
  void missingParentInBottomLayerIsSynthesised() throws Exception {
    TestImage img = image().layer(tar().file("m/n/o", "o").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("m/", "m/n/", "m/n/o"), names(out));
    assertEquals(0755, find(out, "m/").entry().mode());
    assertEquals(0755, find(out, "m/n/").entry().mode());
  }

  @Test
  void bottomLayerChildBeforeParentStillExtractsWithTheParentsAttributes() throws Exception {
    TestImage img =
        image().layer(tar().file("a/x", "x").entry(dir("a", 0700, 2, M), new byte[0]).build());

    List<Item> out = flatten(img);
    List<String> names = names(out);

    assertTrue(names.indexOf("a/") < names.indexOf("a/x"), names.toString());
    // when extracted in order, the last definition of a directory sets its attributes
    TarEntry last = null;
    for (Item i : out) {
      if (i.name().equals("a/")) {
        last = i.entry();
      }
    }
    assertEquals(0700, last.mode());
    assertEquals(2, last.uid());
  }

  // ---- rule: determinism ----

  private static TestImage busyImage() {
    byte[] big = pseudoRandom(600_000, 42);
    return image()
        .layer(
            tar()
                .dir("etc")
                .file("etc/passwd", "root")
                .file("etc/old", "old")
                .hardlink("etc/old.link", "etc/old")
                .dir("usr")
                .dir("usr/lib")
                .file("usr/lib/big", big, 0644)
                .symlink("lib", "usr/lib")
                .build(),
            Compression.GZIP)
        .layer(
            tar()
                .whiteout("etc/old")
                .file("etc/passwd", "root\nuser")
                .dir("opt")
                .file("opt/tool", "tool")
                .build(),
            Compression.ZSTD)
        .layer(
            tar().opaque("usr/lib").file("usr/lib/small", "s").hardlink("t", "opt/tool").build(),
            Compression.NONE)
        .layer(tar().file("z/y/x", "deep").dir("z").build(), Compression.GZIP)
        .layer(tar().whiteout("opt").file("last", "l").build(), Compression.GZIP);
  }

  @Test
  void outputIsByteIdenticalAcrossRunsAndThreadCounts() throws Exception {
    TestImage img = busyImage();

    byte[] first = flattenBytes(img.layers(), 4);
    byte[] second = flattenBytes(img.layers(), 4);
    byte[] single = flattenBytes(img.layers(), 1);
    byte[] many = flattenBytes(busyImage().layers(), 16);

    assertArrayEquals(first, second);
    assertArrayEquals(first, single);
    assertArrayEquals(first, many);
    List<Item> out = TarEntries.read(first);
    assertEquals(
        List.of(
            "etc/",
            "etc/old.link",
            "usr/",
            "usr/lib/",
            "lib",
            "etc/passwd",
            "usr/lib/small",
            "t",
            "z/",
            "z/y/",
            "z/y/x",
            "last"),
        names(out));
    assertEquals(EntryType.FILE, find(out, "t").entry().type(), "its target /opt was deleted");
    assertEquals("tool", find(out, "t").text());
  }

  // ---- rule: everything a rootfs needs is kept ----

  private static final byte[] CAPABILITY = {
    0x01,
    0x00,
    0x00,
    0x02,
    (byte) 0x80,
    (byte) 0xff,
    0x00,
    0x0a,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00
  };

  /** Entries covering every attribute a root filesystem relies on, under {@code p}. */
  static List<Item> richEntries(String p) {
    List<Item> items = new ArrayList<>();
    items.add(new Item(dir(p, 0755, 0, M), new byte[0]));
    items.add(new Item(dir(p + "/tmp", 01777, 0, M), new byte[0]));
    items.add(
        new Item(
            base(p + "/su").mode(04755).size(4).build(), "suid".getBytes(StandardCharsets.UTF_8)));
    items.add(
        new Item(
            base(p + "/sg").mode(02711).gid(42).gname("shadow").size(2).build(),
            "sg".getBytes(StandardCharsets.UTF_8)));
    items.add(
        new Item(
            TarEntry.builder()
                .name(p + "/owned")
                .mode(0640)
                .uid(1000)
                .gid(1001)
                .uname("alice")
                .gname("staff")
                .mtime(M, 123_456_789)
                .size(5)
                .build(),
            "owned".getBytes(StandardCharsets.UTF_8)));
    items.add(
        new Item(base(p + "/bigids").uid(3_000_000_000L).gid(2_097_152).build(), new byte[0]));
    items.add(new Item(base(p + "/ancient").mtime(-86_400, 500_000_000).build(), new byte[0]));
    items.add(
        new Item(
            base(p + "/rel").type(EntryType.SYMLINK).mode(0777).linkName("../x/y").build(),
            new byte[0]));
    items.add(
        new Item(
            base(p + "/abs").type(EntryType.SYMLINK).mode(0777).linkName("/usr/bin/env").build(),
            new byte[0]));
    items.add(
        new Item(
            base(p + "/null").type(EntryType.CHAR_DEVICE).mode(0666).device(1, 3).build(),
            new byte[0]));
    items.add(
        new Item(
            base(p + "/sda").type(EntryType.BLOCK_DEVICE).mode(0660).device(8, 0).build(),
            new byte[0]));
    items.add(
        new Item(
            base(p + "/huge-dev")
                .type(EntryType.CHAR_DEVICE)
                .mode(0600)
                .device(4095, 1_048_575)
                .build(),
            new byte[0]));
    items.add(new Item(base(p + "/fifo").type(EntryType.FIFO).mode(0600).build(), new byte[0]));
    items.add(
        new Item(
            base(p + "/ping")
                .mode(0755)
                .xattr("security.capability", CAPABILITY)
                .xattr("user.comment", "hello".getBytes(StandardCharsets.UTF_8))
                .size(4)
                .build(),
            "ping".getBytes(StandardCharsets.UTF_8)));
    items.add(
        new Item(
            base(p + "/" + "n".repeat(120)).size(1).build(), "n".getBytes(StandardCharsets.UTF_8)));
    String d1 = p + "/" + "d".repeat(90);
    items.add(new Item(dir(d1, 0755, 0, M), new byte[0]));
    items.add(
        new Item(
            base(d1 + "/" + "f".repeat(90)).size(1).build(), "f".getBytes(StandardCharsets.UTF_8)));
    String deep = p;
    for (int i = 0; i < 6; i++) {
      deep = deep + "/" + (char) ('a' + i) + "x".repeat(49);
      items.add(new Item(dir(deep, 0755, 0, M), new byte[0]));
    }
    items.add(
        new Item(base(deep + "/leaf").size(4).build(), "leaf".getBytes(StandardCharsets.UTF_8)));
    items.add(
        new Item(
            base(deep + "/leaf-link").type(EntryType.SYMLINK).linkName(deep + "/leaf").build(),
            new byte[0]));
    items.add(new Item(base(p + "/caf\uDCE9").size(3).build(), new byte[] {1, 2, 3}));
    items.add(new Item(base(p + "/\uDCFF\uDC80raw").build(), new byte[0]));
    items.add(new Item(base(p + "/na\u00efve-\u65e5\u672c").build(), new byte[0]));
    items.add(
        new Item(
            base(p + "/to-raw").type(EntryType.SYMLINK).linkName("caf\uDCE9").build(),
            new byte[0]));
    byte[] large = pseudoRandom(700_000, p.hashCode());
    items.add(new Item(base(p + "/large").size(large.length).build(), large));
    return items;
  }

  private static byte[] tarOf(List<Item> items) {
    TarBuilder b = tar();
    for (Item i : items) {
      b.entry(i.entry(), i.content());
    }
    return b.build();
  }

  private static TarEntry canonical(TarEntry e) throws UnsafeEntryException {
    return e.withName(EntryNames.normalize(e.name()));
  }

  @Test
  void everythingARootfsNeedsIsKeptInBottomAndUpperLayers() throws Exception {
    List<Item> lower = richEntries("lower");
    List<Item> upper = richEntries("upper");
    TestImage img =
        image().layer(tarOf(lower), Compression.GZIP).layer(tarOf(upper), Compression.ZSTD);

    List<Item> out = flatten(img);

    List<Item> expected = new ArrayList<>(lower);
    expected.addAll(upper);
    assertEquals(expected.size(), out.size(), names(out).toString());
    for (int i = 0; i < expected.size(); i++) {
      TarEntry want = canonical(expected.get(i).entry());
      TarEntry got = canonical(out.get(i).entry());
      assertEquals(want, got, "entry " + i + ": " + want.name());
      assertArrayEquals(
          expected.get(i).content(), out.get(i).content(), "content of " + want.name());
      if (!want.xattrs().isEmpty()) {
        assertArrayEquals(
            want.xattrs().get("security.capability"), got.xattrs().get("security.capability"));
      }
    }
  }

  @Test
  void hardlinkedFilesKeepXattrsOnTheFileNotTheLink() throws Exception {
    TestImage img =
        image()
            .layer(
                tar()
                    .entry(
                        base("ping").xattr("security.capability", CAPABILITY).size(1).build(),
                        new byte[] {7})
                    .hardlink("ping6", "ping")
                    .build())
            .layer(tar().hardlink("ping4", "ping").build())
            .layer(tar().whiteout("ping").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("ping6", "ping4"), names(out));
    assertArrayEquals(CAPABILITY, find(out, "ping6").entry().xattrs().get("security.capability"));
    assertEquals(EntryType.HARDLINK, find(out, "ping4").entry().type());
    assertTrue(find(out, "ping4").entry().xattrs().isEmpty());
  }

  @Test
  void largeFilesAreCopiedExactlyFromEveryLayerKind() throws Exception {
    byte[] a = pseudoRandom(3 * 1024 * 1024 + 17, 1);
    byte[] b = pseudoRandom(2 * 1024 * 1024 + 511, 2);
    byte[] c = pseudoRandom(1024 * 1024 + 1, 3);
    TestImage img =
        image()
            .layer(tar().file("a", a, 0644).file("gone", c, 0600).hardlink("kept", "gone").build())
            .layer(tar().file("b", b, 0644).build(), Compression.ZSTD)
            .layer(tar().whiteout("gone").file("c", c, 0644).build(), Compression.NONE);

    List<Item> out = flatten(img);

    assertEquals(List.of("a", "kept", "b", "c"), names(out));
    assertArrayEquals(a, find(out, "a").content());
    assertArrayEquals(b, find(out, "b").content());
    assertArrayEquals(c, find(out, "c").content());
    assertArrayEquals(c, find(out, "kept").content());
    assertEquals(0600, find(out, "kept").entry().mode());
  }

  // ---- rule: verification ----

  private static TestImage threeLayers() {
    return image()
        .layer(tar().dir("etc").file("etc/a", "a".repeat(3000)).build())
        .layer(tar().file("etc/b", "b".repeat(3000)).build())
        .layer(tar().file("etc/c", "c".repeat(3000)).build());
  }

  @ParameterizedTest(name = "layer {0}")
  @ValueSource(ints = {0, 1, 2})
  void wrongDiffIdIsADigestMismatchNamingTheLayer(int bad) {
    List<Layer> layers = new ArrayList<>(threeLayers().layers());
    Layer l = layers.get(bad);
    Digest wrong = Digest.sha256(bytes("something else"));
    layers.set(bad, copy(l, 3, l.digest(), l.size(), wrong, l.source()));

    DigestMismatchException e =
        assertThrows(DigestMismatchException.class, () -> flattenFails(layers));

    assertTrue(e.getMessage().contains("layer " + (bad + 1) + "/3"), e.getMessage());
    assertEquals(wrong, e.expected());
    assertNotEquals(wrong, e.actual());
  }

  @ParameterizedTest(name = "layer {0}")
  @ValueSource(ints = {0, 1, 2})
  void wrongBlobDigestIsADigestMismatchNamingTheLayer(int bad) {
    List<Layer> layers = new ArrayList<>(threeLayers().layers());
    Layer l = layers.get(bad);
    Digest wrong = Digest.sha256(bytes("another blob"));
    layers.set(bad, copy(l, 3, wrong, l.size(), l.diffId(), l.source()));

    DigestMismatchException e =
        assertThrows(DigestMismatchException.class, () -> flattenFails(layers));

    assertTrue(e.getMessage().contains("layer " + (bad + 1) + "/3"), e.getMessage());
    assertEquals(wrong, e.expected());
  }

  @ParameterizedTest(name = "layer {0}")
  @ValueSource(ints = {0, 1, 2})
  void wrongBlobSizeIsInvalidNamingTheLayer(int bad) {
    List<Layer> layers = new ArrayList<>(threeLayers().layers());
    Layer l = layers.get(bad);
    layers.set(bad, copy(l, 3, l.digest(), l.size() + 1, l.diffId(), l.source()));

    InvalidImageException e = assertThrows(InvalidImageException.class, () -> flattenFails(layers));

    assertTrue(e.getMessage().contains("layer " + (bad + 1) + "/3"), e.getMessage());
  }

  @ParameterizedTest(name = "layer {0}")
  @ValueSource(ints = {0, 1, 2})
  void truncatedGzipLayerIsInvalidNamingTheLayer(int bad) {
    TestImage img = threeLayers();
    List<Layer> layers = new ArrayList<>(img.layers());
    byte[] blob = img.blob(bad);
    byte[] cut = Arrays.copyOf(blob, blob.length / 2);
    Layer l = layers.get(bad);
    layers.set(
        bad,
        copy(
            l, 3, Digest.sha256(cut), cut.length, l.diffId(), () -> new ByteArrayInputStream(cut)));

    InvalidImageException e = assertThrows(InvalidImageException.class, () -> flattenFails(layers));

    assertFalse(e instanceof DigestMismatchException, e.toString());
    assertTrue(e.getMessage().contains("layer " + (bad + 1) + "/3"), e.getMessage());
  }

  static Stream<Arguments> truncatedTars() {
    byte[] full = tar().dir("etc").file("etc/x", "x".repeat(2000)).build();
    byte[] insideContent = Arrays.copyOf(full, 512 * 2 + 1000);
    byte[] insideHeader = Arrays.copyOf(full, 512 + 100);
    List<Arguments> args = new ArrayList<>();
    for (int layer = 0; layer < 3; layer++) {
      args.add(Arguments.of("inside content", insideContent, layer));
      args.add(Arguments.of("inside a header", insideHeader, layer));
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0}, layer {2}")
  @MethodSource("truncatedTars")
  void truncatedTarIsInvalidNamingTheLayer(String how, byte[] broken, int bad) {
    List<Layer> layers = new ArrayList<>(threeLayers().layers());
    Layer l = layers.get(bad);
    Digest d = Digest.sha256(broken);
    layers.set(bad, copy(l, 3, d, broken.length, d, () -> new ByteArrayInputStream(broken)));

    InvalidImageException e = assertThrows(InvalidImageException.class, () -> flattenFails(layers));

    assertFalse(e instanceof DigestMismatchException, e.toString());
    assertTrue(e.getMessage().contains("layer " + (bad + 1) + "/3"), e.getMessage());
  }

  @ParameterizedTest(name = "layer {0}")
  @ValueSource(ints = {0, 1, 2})
  void layerWithoutEndMarkerIsAcceptedAsGnuTarAndGoAcceptIt(int bad) throws Exception {
    List<Layer> layers = new ArrayList<>(threeLayers().layers());
    List<Item> expected = flatten(layers);
    Layer l = layers.get(bad);
    byte[] whole;
    try (InputStream in = l.openVerified()) {
      whole = in.readAllBytes();
    }
    // the last entry ends the data; drop the end-of-archive blocks and any record padding
    byte[] noEnd = Arrays.copyOf(whole, lastEntryEnd(whole));
    Digest d = Digest.sha256(noEnd);
    layers.set(bad, copy(l, 3, d, noEnd.length, d, () -> new ByteArrayInputStream(noEnd)));

    assertEquals(
        expected.stream().map(Item::name).toList(),
        flatten(layers).stream().map(Item::name).toList());
  }

  /** Offset just past the last entry's padded content. */
  private static int lastEntryEnd(byte[] tar) throws Exception {
    dev.isula.toolkit.tar.TarReader r =
        new dev.isula.toolkit.tar.TarReader(new ByteArrayInputStream(tar));
    long end = 0;
    while (r.next() != null) {
      long size = r.current().isFile() ? r.current().size() : 0;
      end = r.dataOffset() + (size + 511) / 512 * 512;
    }
    return (int) end;
  }

  @Test
  void garbageLayerIsInvalid() {
    List<Layer> layers = new ArrayList<>(threeLayers().layers());
    byte[] junk = pseudoRandom(4096, 9);
    junk[0] = 'x'; // not a compression magic
    Digest d = Digest.sha256(junk);
    layers.set(1, copy(layers.get(1), 3, d, junk.length, d, () -> new ByteArrayInputStream(junk)));

    InvalidImageException e = assertThrows(InvalidImageException.class, () -> flattenFails(layers));

    assertTrue(e.getMessage().contains("layer 2/3"), e.getMessage());
  }

  // ---- rule: no writing through a lower symlink or file ----

  @Test
  void upperContentUnderLowerSymlinkIsRefused() {
    TestImage img =
        image()
            .layer(tar().dir("usr").dir("usr/lib").symlink("lib", "usr/lib").build())
            .layer(tar().file("lib/evil.so", "evil").build());

    UnsafeEntryException e =
        assertThrows(UnsafeEntryException.class, () -> flattenFails(img.layers()));

    assertTrue(e.getMessage().contains("'lib'"), e.getMessage());
  }

  @Test
  void upperContentUnderLowerFileIsRefused() {
    TestImage img =
        image()
            .layer(tar().file("f", "file").build())
            .layer(tar().dir("f/sub").file("f/sub/x", "x").build());

    assertThrows(UnsafeEntryException.class, () -> flattenFails(img.layers()));
  }

  @Test
  void contentUnderSymlinkOfAnotherUpperLayerIsRefused() {
    TestImage img =
        image()
            .layer(tar().dir("etc").build())
            .layer(tar().symlink("s", "/etc").build())
            .layer(tar().file("s/passwd", "evil").build());

    UnsafeEntryException e =
        assertThrows(UnsafeEntryException.class, () -> flattenFails(img.layers()));

    assertTrue(e.getMessage().contains("layer 3/3"), e.getMessage());
  }

  @Test
  void replacingLowerSymlinkWithDirectoryFirstIsAllowed() throws Exception {
    TestImage img =
        image()
            .layer(tar().dir("usr").dir("usr/lib").symlink("lib", "usr/lib").build())
            .layer(tar().dir("lib").file("lib/ok.so", "ok").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("usr/", "usr/lib/", "lib/", "lib/ok.so"), names(out));
  }

  @Test
  void whiteoutUnderLowerSymlinkIsHarmless() throws Exception {
    TestImage img =
        image()
            .layer(tar().dir("usr").symlink("lib", "usr").build())
            .layer(tar().whiteout("lib/x").file("y", "y").build());

    List<Item> out = flatten(img);

    assertEquals(List.of("usr/", "lib", "y"), names(out));
  }

  // ---- rule: mixed compressions ----

  @Test
  void layersWithDifferentCompressionsMerge() throws Exception {
    TestImage img =
        image()
            .layer(tar().dir("a").file("a/none", "n").build(), Compression.NONE)
            .layer(tar().file("a/gzip", "g").build(), Compression.GZIP)
            .layer(tar().file("a/zstd", "z").whiteout("a/none").build(), Compression.ZSTD)
            .layer(tar().file("a/none", "n2").build(), Compression.NONE);

    List<Item> out = flatten(img);

    assertEquals(List.of("a/", "a/gzip", "a/zstd", "a/none"), names(out));
    assertEquals("g", find(out, "a/gzip").text());
    assertEquals("z", find(out, "a/zstd").text());
    assertEquals("n2", find(out, "a/none").text());
  }

  @Test
  void uncompressedUpperLayerInAFileIsReadInPlace(@TempDir Path tmp) throws Exception {
    byte[] lower = tar().dir("d").file("d/x", "lower").build();
    byte[] big = pseudoRandom(300_000, 5);
    byte[] upper =
        tar()
            .file("d/x", "upper")
            .file("d/big", big, 0644)
            .hardlink("d/big.link", "d/big")
            .file("d/after", "after")
            .build();
    Path file = tmp.resolve("archive.bin");
    byte[] prefix = pseudoRandom(1000, 6);
    try (var o = Files.newOutputStream(file)) {
      o.write(prefix);
      o.write(upper);
      o.write(prefix);
    }
    Digest lowerDigest = Digest.sha256(lower);
    Digest upperDigest = Digest.sha256(upper);
    List<Layer> layers =
        List.of(
            new Layer(
                0,
                2,
                MediaTypes.OCI_LAYER,
                lowerDigest,
                lower.length,
                lowerDigest,
                () -> new ByteArrayInputStream(lower)),
            new Layer(
                1,
                2,
                MediaTypes.OCI_LAYER,
                upperDigest,
                upper.length,
                upperDigest,
                BlobSource.of(new FileRange(file, prefix.length, upper.length))));

    List<Item> out = flatten(layers);

    assertEquals(List.of("d/", "d/x", "d/big", "d/big.link", "d/after"), names(out));
    assertEquals("upper", find(out, "d/x").text());
    assertArrayEquals(big, find(out, "d/big").content());
    assertEquals("d/big", find(out, "d/big.link").entry().linkName());
    assertEquals("after", find(out, "d/after").text());
  }

  // ---- odds and ends ----

  @Test
  void noLayersGiveAnEmptyArchive() throws Exception {
    byte[] tar = flattenBytes(List.of(), 2);

    assertArrayEquals(new byte[1024], tar);
  }

  @Test
  void rootEntryOfALayerIsNotWritten() throws Exception {
    TestImage img =
        image()
            .layer(tar().dir("./").file("./a", "a").build())
            .layer(tar().dir(".").file("b", "b").build());

    assertEquals(List.of("a", "b"), names(flatten(img)));
  }

  @Test
  void progressIsLoggedPerLayer() throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    TestImage img = threeLayers();
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    LayerFlattener.create(2, log::add).flatten(img.layers(), new TarWriter(out));

    List<Layer> layers = img.layers();
    for (Layer l : layers) {
      assertTrue(log.contains("applying " + l.describe()), log.toString());
    }
    assertTrue(log.contains("reading " + layers.get(1).describe()), log.toString());
    assertTrue(log.contains("reading " + layers.get(2).describe()), log.toString());
    assertEquals(5, log.size(), log.toString());
  }
}
