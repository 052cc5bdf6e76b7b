package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our flattened rootfs against {@code umoci raw unpack} of the same real image, for every tag of
 * the synthetic image: umoci's own layers (whiteouts, replaced dirs and files, hardlinks across and
 * within layers, devices, xattrs) and buildah's layer with real opaque whiteouts.
 */
@Tag("peers")
@ExtendWith(SyntheticImageExtension.class)
class UmociOraclePeersTest {

  @BeforeAll
  static void requireTools() {
    Tools.requireThat(Tools.isRoot(), "must run as root (mknod, chown, umoci keeping owners)");
    Tools.require("umoci", "buildah", "skopeo", "getfattr", "setfattr", "tar", "mknod", "mkfifo");
  }

  @ParameterizedTest(name = "layout:{0}")
  @ValueSource(strings = {"t1", "t2", "t3"})
  void umociLayersFlattenLikeUmociUnpacks(String tag, SyntheticImage img) throws IOException {
    RootfsComparator.assertMatches(
        img.export(img.umociRef(tag)), img.oracle(img.layout, tag), img.umociRef(tag));
  }

  @Test
  void opaqueWhiteoutLayerFlattensLikeUmociUnpacks(SyntheticImage img) throws IOException {
    RootfsComparator.assertMatches(
        img.export(img.opaqueRef()),
        img.oracle(img.opaqueLayout, SyntheticImage.OPAQUE_TAG),
        img.opaqueRef());
  }

  /**
   * Guards against a comparison that passes vacuously: our t3 export against umoci's unpack of t1
   * must show the differences the layer edits made, of most kinds the comparator checks.
   */
  @Test
  void comparatorReportsTheDifferences(SyntheticImage img) throws IOException {
    List<String> d =
        RootfsComparator.compare(img.export(img.umociRef("t3")), img.oracle(img.layout, "t1"));
    String all = String.join("\n", d);
    List<String> expected =
        List.of(
            "opt/samesize: content differs (sha256 ours ",
            "etc/passwd: size ours 5, umoci 30",
            "bin/rel-link: mtime ours ",
            "etc/hostname: mode ours 0600, umoci 0644",
            "etc/hostname: xattr user.added ours 0xdeadbeef, umoci (absent)",
            "home/user: owner ours 1000:65534, umoci 1000:1000",
            "bin/rel-link: symlink target ours '../etc/passwd', umoci '../etc/hostname'",
            "var/lib/null: type ours FILE, umoci CHAR_DEVICE",
            "etc/motd: type ours SYMLINK, umoci FILE",
            "opt/xattr-file: xattr user.test ours (absent), umoci 0x68656c6c6f",
            "var/lib/loop0: in our tar (BLOCK_DEVICE) but not in umoci's rootfs",
            "var/lib/fifo: in umoci's rootfs (FIFO) but not in our tar",
            "usr/lib/trio2: in umoci's rootfs (FILE) but not in our tar",
            "usr/lib/added-link: in our tar (HARDLINK -> etc/added) but not in umoci's rootfs",
            "usr/lib/pair2: umoci has it hardlinked to 'usr/lib/pair1' (one inode) but our tar"
                + " writes two separate files",
            "usr/lib/inplace1: size ours 13, umoci 8");
    List<String> notFound = expected.stream().filter(s -> !all.contains(s)).toList();
    assertTrue(notFound.isEmpty(), "comparator missed " + notFound + " in:\n" + all);

    // the other way round: t1 still has pair1/pair2 as one inode, umoci's t2 has two files
    String back =
        String.join(
            "\n",
            RootfsComparator.compare(img.export(img.umociRef("t1")), img.oracle(img.layout, "t2")));
    assertTrue(
        back.contains("usr/lib/pair2: ours is a hardlink to 'usr/lib/pair1', but umoci has them"),
        back);
  }

  @Test
  void buildahLayerReallyHasOpaqueWhiteouts(SyntheticImage img) throws IOException {
    int n = SyntheticImage.layerCount(img.opaqueLayout, SyntheticImage.OPAQUE_TAG);
    assertEquals(4, n, "buildah commit of t3 plus one layer");
    List<String> names =
        names(SyntheticImage.layerEntries(img.opaqueLayout, SyntheticImage.OPAQUE_TAG, n - 1));
    for (String dir : SyntheticImage.OPAQUE_DIRS) {
      assertTrue(
          names.contains(dir + "/.wh..wh..opq"),
          "buildah's layer has no opaque whiteout for " + dir + ": " + names);
    }
    assertTrue(names.contains("etc/.wh.added"), "plain whiteout missing: " + names);
  }

  /**
   * Documents the fixture, and why the opaque layer needs buildah: umoci writes one {@code .wh.}
   * per old child of a removed-and-recreated directory, and leaves whiteouts under a directory it
   * replaced by a file.
   */
  @Test
  void umociLayersHavePlainWhiteoutsOnly(SyntheticImage img) throws IOException {
    List<String> names = names(SyntheticImage.layerEntries(img.layout, "t2", 1));
    assertTrue(names.contains("etc/.wh.passwd"), names.toString());
    assertTrue(names.contains("opt/dir1/.wh.a"), names.toString());
    assertTrue(names.contains("opt/dir1/.wh.sub"), names.toString());
    assertTrue(names.contains("usr/lib/.wh.trio2"), names.toString());
    assertTrue(names.stream().noneMatch(s -> s.endsWith(".wh..wh..opq")), names.toString());
  }

  /** The base layer really has every kind of entry the comparison is meant to cover. */
  @Test
  void baseLayerHasEveryFeature(SyntheticImage img) throws IOException {
    List<TarEntry> base = SyntheticImage.layerEntries(img.layout, "t1", 0);
    List<String> missing = new ArrayList<>();
    expect(base, missing, "fifo", e -> e.type() == EntryType.FIFO);
    expect(base, missing, "char device 1,3", e -> e.type() == EntryType.CHAR_DEVICE);
    expect(base, missing, "4 hardlink entries", e -> e.type() == EntryType.HARDLINK, 4);
    expect(base, missing, "setuid 4755", e -> e.mode() == 04755);
    expect(base, missing, "setgid 2711", e -> e.mode() == 02711);
    expect(base, missing, "sticky 1777 dir", e -> e.isDirectory() && e.mode() == 01777);
    expect(base, missing, "absolute symlink", e -> e.linkName().startsWith("/"));
    expect(base, missing, "relative symlink", e -> e.linkName().startsWith("../"));
    expect(base, missing, "uid 1000", e -> e.uid() == 1000);
    expect(base, missing, "uid 65534", e -> e.uid() == 65534 && e.gid() == 65534);
    expect(base, missing, "uid 3000000", e -> e.uid() == 3000000 && e.gid() == 3000001);
    expect(base, missing, "user.test xattr", e -> e.xattrs().containsKey("user.test"));
    expect(
        base,
        missing,
        "security.capability xattr",
        e -> e.xattrs().containsKey("security.capability"));
    expect(base, missing, "file name > 100 chars", e -> baseName(e).length() > 100);
    expect(base, missing, "path > 255 chars", e -> e.name().length() > 255);
    expect(base, missing, "sub-second mtime", e -> e.mtimeNanos() != 0);
    assertTrue(missing.isEmpty(), "base layer lacks: " + missing);
  }

  private static void expect(
      List<TarEntry> entries, List<String> missing, String what, Predicate<TarEntry> p) {
    expect(entries, missing, what, p, 1);
  }

  private static void expect(
      List<TarEntry> entries, List<String> missing, String what, Predicate<TarEntry> p, int n) {
    if (entries.stream().filter(p).count() < n) {
      missing.add(what);
    }
  }

  private static String baseName(TarEntry e) {
    String n = RootfsComparator.canonical(e.name());
    return n.substring(n.lastIndexOf('/') + 1);
  }

  private static List<String> names(List<TarEntry> entries) {
    return entries.stream().map(e -> RootfsComparator.canonical(e.name())).toList();
  }
}
