package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.rootfs.DirectoryRootfsWriter;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The directory writer behind {@code export --split} fed hostile tarballs: every attempt to write
 * outside the target directory must fail with an {@link InvalidImageException} (or subclass) and
 * leave everything outside the target as it was. Layout of each test:
 *
 * <pre>
 *   base/target/      the (empty) extraction target
 *   base/sentinel/    a directory next to it, holding one file, that must never change
 *   base/outside      a path that must never come into existence
 * </pre>
 */
class ExtractionSafetyTest {
  @TempDir Path tmp;

  Path base;
  Path target;
  Path sentinel;
  Path outside;

  @BeforeEach
  void layout() throws Exception {
    base = Files.createDirectories(tmp.resolve("base"));
    target = Files.createDirectories(base.resolve("target"));
    sentinel = Files.createDirectories(base.resolve("sentinel"));
    Files.writeString(sentinel.resolve("keep"), "sentinel\n");
    outside = base.resolve("outside");
  }

  /** Everything under base except the target's contents. */
  private TreeMap<String, String> outsideTarget() throws Exception {
    TreeMap<String, String> s = Trees.snapshot(base);
    s.keySet().removeIf(k -> k.startsWith("target/"));
    return s;
  }

  /** Extracts a tar with the directory writer, reading it with TarReader. */
  static void extract(byte[] tar, Path dir) throws Exception {
    DirectoryRootfsWriter w = DirectoryRootfsWriter.create(dir, s -> {});
    TarReader r = new TarReader(new ByteArrayInputStream(tar));
    TarEntry e;
    while ((e = r.next()) != null) {
      w.write(e, r.content());
    }
    w.finish();
  }

  /** A hostile tar, built from the test's paths. */
  record Hostile(String name, Function<ExtractionSafetyTest, byte[]> tar) {
    @Override
    public String toString() {
      return name;
    }
  }

  static TarEntry hardlink(String name, String target) {
    return TarBuilder.base(name).type(EntryType.HARDLINK).linkName(target).build();
  }

  static Stream<Arguments> hostile() {
    List<Hostile> h = new ArrayList<>();
    h.add(
        new Hostile(
            "symlink to an outside directory, then a file through it",
            t ->
                TarBuilder.tar()
                    .symlink("a", t.sentinel.toString())
                    .file("a/x", "owned\n")
                    .build()));
    h.add(
        new Hostile(
            "symlink to a missing outside path, then a file through it",
            t ->
                TarBuilder.tar()
                    .symlink("a", t.outside.toString())
                    .file("a/x", "owned\n")
                    .build()));
    h.add(
        new Hostile(
            "symlink to an outside directory, then a directory and a file through it",
            t ->
                TarBuilder.tar()
                    .symlink("a", t.sentinel.toString())
                    .dir("a/sub")
                    .file("a/sub/x", "owned\n")
                    .build()));
    h.add(
        new Hostile(
            "relative symlink climbing out, then a file through it",
            t -> TarBuilder.tar().symlink("a", "../sentinel").file("a/x", "owned\n").build()));
    h.add(
        new Hostile(
            "symlink inside a directory, then a file through it",
            t ->
                TarBuilder.tar()
                    .dir("d")
                    .symlink("d/link", "../../sentinel")
                    .file("d/link/x", "owned\n")
                    .build()));
    h.add(
        new Hostile(
            "symlink to an outside file, then a hardlink through its directory",
            t ->
                TarBuilder.tar()
                    .file("f", "inside\n")
                    .symlink("a", t.sentinel.toString())
                    .entry(hardlink("a/keep-link", "f"), new byte[0])
                    .build()));
    h.add(new Hostile("../x", t -> TarBuilder.tar().file("../outside", "owned\n").build()));
    h.add(
        new Hostile(
            "absolute name", t -> TarBuilder.tar().file(t.outside.toString(), "owned\n").build()));
    h.add(
        new Hostile(
            "a/../../x",
            t -> TarBuilder.tar().dir("a").file("a/../../outside", "owned\n").build()));
    h.add(new Hostile("./../x", t -> TarBuilder.tar().file("./../outside", "owned\n").build()));
    h.add(
        new Hostile(
            "hardlink to ../../etc/passwd",
            t -> TarBuilder.tar().entry(hardlink("h", "../../etc/passwd"), new byte[0]).build()));
    h.add(
        new Hostile(
            "hardlink to the sentinel by absolute path",
            t ->
                TarBuilder.tar()
                    .entry(hardlink("h", t.sentinel.resolve("keep").toString()), new byte[0])
                    .build()));
    h.add(
        new Hostile(
            "hardlink climbing out to the sentinel",
            t -> TarBuilder.tar().entry(hardlink("h", "../sentinel/keep"), new byte[0]).build()));
    h.add(
        new Hostile(
            "hardlink to a symlink pointing outside, then a file through the hardlink",
            t ->
                TarBuilder.tar()
                    .symlink("s", t.sentinel.toString())
                    .entry(hardlink("h", "s"), new byte[0])
                    .file("h/x", "owned\n")
                    .build()));
    h.add(
        new Hostile(
            "hardlink through a symlinked directory",
            t ->
                TarBuilder.tar()
                    .symlink("s", t.sentinel.toString())
                    .entry(hardlink("h", "s/keep"), new byte[0])
                    .build()));
    return h.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void hostileTarIsRefusedAndNothingOutsideChanges(Hostile hostile) throws Exception {
    byte[] tar = hostile.tar().apply(this);
    TreeMap<String, String> before = outsideTarget();
    long passwdLinks = (Integer) Files.getAttribute(Path.of("/etc/passwd"), "unix:nlink");
    assertThrows(InvalidImageException.class, () -> extract(tar, target), hostile.name());
    assertEquals(before, outsideTarget(), "nothing outside the target may change");
    assertFalse(Files.exists(outside, LinkOption.NOFOLLOW_LINKS), "nothing at " + outside);
    assertFalse(Files.exists(sentinel.resolve("x"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(sentinel.resolve("sub"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(1, Files.getAttribute(sentinel.resolve("keep"), "unix:nlink"), "no new link");
    assertEquals(
        passwdLinks,
        ((Integer) Files.getAttribute(Path.of("/etc/passwd"), "unix:nlink")).longValue(),
        "no hardlink to /etc/passwd");
  }

  /**
   * Whiteout names mean something only between layers; the flattener consumes them (and refuses a
   * bare {@code .wh.}), so through the command line they never reach the writer. Handed to the
   * directory writer directly they would become files that a later import turns into a layer
   * holding whiteouts, which other tools (an overlay snapshotter, podman load) then apply as
   * deletions, and a re-export silently drops; the writer should refuse them like other names no
   * rootfs can hold.
   */
  static Stream<Arguments> whiteoutNames() {
    return Stream.of(".wh.x", "etc/.wh.passwd", ".wh..wh..opq", "etc/.wh..wh..opq", ".wh.")
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("whiteoutNames")
  void whiteoutNamesAreRefused(String name) throws Exception {
    byte[] tar = TarBuilder.tar().dir("etc").file(name, "").build();
    TreeMap<String, String> before = outsideTarget();
    assertThrows(InvalidImageException.class, () -> extract(tar, target), name);
    assertEquals(before, outsideTarget());
  }

  /**
   * A hardlink to a symlink is legitimate (the hardlinks sample has one) and so is a symlink whose
   * target lies outside when seen from the host (every absolute symlink of a rootfs does). What
   * must not happen is the hardlink being made to the symlink's <em>target</em> (link(2) with
   * AT_SYMLINK_FOLLOW), which would put an outside inode into the rootfs; and a later regular file
   * of the same name must replace the link, not write through it.
   */
  @Test
  void hardlinkToAnOutsideSymlinkNeverReachesTheOutsideFile() throws Exception {
    Path keep = sentinel.resolve("keep");
    byte[] tar =
        TarBuilder.tar()
            .symlink("s", keep.toString())
            .entry(hardlink("h", "s"), new byte[0])
            .file("h", "replaces the link\n")
            .entry(hardlink("h2", "s"), new byte[0])
            .build();
    TreeMap<String, String> before = outsideTarget();
    extract(tar, target);
    assertEquals(before, outsideTarget(), "nothing outside the target may change");
    assertEquals("sentinel\n", Files.readString(keep));
    assertEquals(1, Files.getAttribute(keep, "unix:nlink"), "the outside file got no new link");
    assertTrue(Files.isSymbolicLink(target.resolve("h2")), "h2 is a link to the symlink itself");
    assertFalse(Files.isSameFile(target.resolve("h"), keep));
    assertEquals("replaces the link\n", Files.readString(target.resolve("h")));
  }

  // ---------------------------------------------------------------- through the command line

  static Stream<Arguments> hostileImages() {
    return Stream.of(
        Arguments.of("symlink then a file through it, one layer", false),
        Arguments.of("symlink in layer 1, a file through it in layer 2", true));
  }

  /** An image whose layers write through a symlink to the sentinel directory. */
  private Path hostileImage(boolean twoLayers) throws Exception {
    TarBuilder l0 = TarBuilder.tar().dir("etc").file("etc/hostname", "x\n");
    l0.symlink("a", sentinel.toString());
    TestImage img = TestImage.image();
    if (twoLayers) {
      img.layer(l0.build(), Compression.GZIP)
          .layer(TarBuilder.tar().file("a/x", "owned\n").build(), Compression.NONE);
    } else {
      img.layer(l0.file("a/x", "owned\n").build(), Compression.GZIP);
    }
    return img.writeDockerArchive(tmp.resolve("hostile.tar"), "isula-rt/hostile:1");
  }

  @ParameterizedTest(name = "{0}, OUTDIR absent, --rootfs-format {1}")
  @MethodSource("splitCases")
  void splitOfAHostileImageFailsAndLeavesNoOutdir(String what, boolean twoLayers, String format)
      throws Exception {
    Path image = hostileImage(twoLayers);
    Path out = tmp.resolve("out");
    TreeMap<String, String> before = outsideTarget();
    Isula.Run run = SplitRoundTripTest.split(List.of(), format, "docker-archive:" + image, out);
    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(1, run.errLines().size(), run::toString);
    assertTrue(run.err().contains("'a/x'") || run.err().contains("'a'"), "names the entry: " + run);
    assertFalse(Files.exists(out, LinkOption.NOFOLLOW_LINKS), "OUTDIR must not be left: " + run);
    assertEquals(before, outsideTarget());
    assertFalse(Files.exists(sentinel.resolve("x")));
  }

  static Stream<Arguments> splitCases() {
    List<Arguments> out = new ArrayList<>();
    hostileImages()
        .forEach(
            a -> {
              for (String f : List.of("dir", "tar")) {
                out.add(Arguments.of(a.get()[0], a.get()[1], f));
              }
            });
    return out.stream();
  }

  @ParameterizedTest(name = "{0}, OUTDIR empty, --rootfs-format {1}")
  @MethodSource("splitCases")
  void splitOfAHostileImageLeavesAnEmptyOutdirEmpty(String what, boolean twoLayers, String format)
      throws Exception {
    Path image = hostileImage(twoLayers);
    Path out = Files.createDirectories(tmp.resolve("out"));
    TreeMap<String, String> before = outsideTarget();
    Isula.Run run = SplitRoundTripTest.split(List.of(), format, "docker-archive:" + image, out);
    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(Files.isDirectory(out), "an OUTDIR that existed stays: " + run);
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(List.of(), s.toList(), "and stays empty: " + run);
    }
    assertEquals(before, outsideTarget());
  }

  /** A hostile tarball given to import is refused as well (it would be extracted later). */
  @Test
  void importRefusesAHardlinkOutOfTheRootfs() throws Exception {
    Path rootfs = tmp.resolve("rootfs.tar");
    Files.write(
        rootfs, TarBuilder.tar().entry(hardlink("h", "../../etc/passwd"), new byte[0]).build());
    Isula.Run run =
        Isula.run(
            "import", "-q", rootfs.toString(), "-o", "docker-archive:" + tmp.resolve("i.tar"));
    assertEquals(1, run.exitCode(), run::toString);
    assertTrue(run.err().contains("passwd"), run::toString);
    assertFalse(Files.exists(tmp.resolve("i.tar")));
  }
}
