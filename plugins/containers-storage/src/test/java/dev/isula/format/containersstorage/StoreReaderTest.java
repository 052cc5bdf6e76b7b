package dev.isula.format.containersstorage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.LayerStream;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading stores written to the layouts of containers/storage and iSulad (see {@link TestStore}).
 */
class StoreReaderTest {
  @TempDir Path tmp;

  static final byte[] BIG = new byte[300_000];

  static {
    new Random(15).nextBytes(BIG);
  }

  static final byte[] BASE =
      TarBuilder.tar()
          .dir("etc")
          .file("etc/hostname", "box\n")
          .file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
          .dir("opt")
          .file("opt/big.bin", BIG, 0644)
          .symlink("opt/link", "big.bin")
          .build();
  static final byte[] TOP =
      TarBuilder.tar()
          .dir("etc")
          .file("etc/hostname", "top\n")
          .whiteout("etc/passwd")
          .hardlink("opt/again", "etc/hostname")
          .file("opt/new", "new\n")
          .build();
  static final TestImage IMAGE =
      TestImage.image().layer(BASE, Compression.NONE).layer(TOP, Compression.NONE);

  Path root;
  TestStore store;
  List<String> layerIds;

  @BeforeEach
  void setUp() throws IOException {
    root = tmp.resolve("graph");
    store = TestStore.containersStorage(root, "vfs");
    layerIds = store.add(IMAGE, List.of("localhost/app:1", "docker.io/library/app:2"));
  }

  private String ref(String image) {
    return "containers-storage:[" + store.driver + "@" + root + "]" + image;
  }

  private ImageSource open(String image, List<String> log) throws Exception {
    return FormatRegistry.load().open(ref(image), ReadOptions.builder().log(log::add).build());
  }

  private static byte[] readVerified(Layer l) throws IOException, IsulaException {
    try (LayerStream s = l.openVerified()) {
      byte[] b = s.readAllBytes();
      s.verify();
      return b;
    }
  }

  @Test
  void eachLayerIsRebuiltByteForByte() throws Exception {
    List<String> log = new ArrayList<>();
    try (ImageSource s = open("app:1", log)) {
      Image image = s.image();
      assertEquals(2, image.layers().size());
      assertArrayEquals(BASE, readVerified(image.layers().get(0)));
      assertArrayEquals(TOP, readVerified(image.layers().get(1)));
      assertEquals(Digest.sha256(IMAGE.configBytes()), image.configDigest());
      assertEquals(List.of("localhost/app:1", "docker.io/library/app:2"), image.names());
      // the stored manifest describes exactly these uncompressed layers, so it is kept
      assertArrayEquals(IMAGE.manifestBytes(), image.manifestBytes());
      assertEquals(ref("app:1"), image.source());
    }
    assertTrue(log.isEmpty(), log.toString());
  }

  @Test
  void imageIsFoundByNameIdPrefixAndDigest() throws Exception {
    String id = Digest.sha256(IMAGE.configBytes()).hex();
    String manifest = Digest.sha256(IMAGE.manifestBytes()).toString();
    for (String r :
        List.of("app:2", "localhost/app:1", id, id.substring(0, 5), "app:1@" + manifest)) {
      try (ImageSource s = open(r, new ArrayList<>())) {
        assertEquals(id, s.image().configDigest().hex(), r);
      }
    }
  }

  @Test
  void aChangedFileFailsTheReadNamingStoreImageAndLayer() throws Exception {
    Path big = store.layerDir(layerIds.get(0)).resolve("opt/big.bin");
    byte[] b = Files.readAllBytes(big);
    b[1000] ^= 1;
    Files.write(big, b);
    try (ImageSource s = open("app:1", new ArrayList<>())) {
      IOException e =
          assertThrows(IOException.class, () -> readVerified(s.image().layers().get(0)));
      String m = e.getMessage();
      assertTrue(m.contains(ref("app:1")), m);
      assertTrue(m.contains("layer " + layerIds.get(0).substring(0, 12)), m);
      assertTrue(m.contains("opt/big.bin") && m.contains("CRC-64"), m);
      assertEquals(1, m.lines().count(), m);
    }
  }

  @Test
  void rebuiltBytesThatDoNotMatchTheRecordedDigestFail() throws Exception {
    // the same files, other header bytes (mtimes): every CRC holds, the digest does not
    byte[] other =
        TarBuilder.tar()
            .entry(
                TarBuilder.base("etc")
                    .type(dev.isula.toolkit.tar.EntryType.DIRECTORY)
                    .mode(0755)
                    .mtime(1, 0)
                    .build(),
                new byte[0])
            .file("etc/hostname", "box\n")
            .file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
            .dir("opt")
            .file("opt/big.bin", BIG, 0644)
            .symlink("opt/link", "big.bin")
            .build();
    assertNotEquals(Digest.sha256(other), Digest.sha256(BASE));
    TestStore.writeTarSplit(other, store.tarSplit(layerIds.get(0)), true);
    try (ImageSource s = open("app:1", new ArrayList<>())) {
      IOException e =
          assertThrows(IOException.class, () -> readVerified(s.image().layers().get(0)));
      assertTrue(
          e.getMessage().contains("does not match the layer's recorded diff-digest"),
          e.getMessage());
      assertTrue(e.getMessage().contains(ref("app:1")), e.getMessage());
    }
  }

  @Test
  void layersRemovedHalfwayAreCleanErrors() throws Exception {
    Files.delete(store.layerDir(layerIds.get(1)).resolve("opt/new"));
    try (ImageSource s = open("app:1", new ArrayList<>())) {
      IOException e =
          assertThrows(IOException.class, () -> readVerified(s.image().layers().get(1)));
      assertTrue(e.getMessage().contains("opt/new is missing from"), e.getMessage());
    }
    store.dropLayerEntry(layerIds.get(0));
    InvalidImageException gone =
        assertThrows(InvalidImageException.class, () -> open("app:1", new ArrayList<>()));
    assertTrue(
        gone.getMessage()
            .startsWith(
                ref("app:1")
                    + " (image "
                    + Digest.sha256(IMAGE.configBytes()).hex().substring(0, 12)
                    + "): layer "
                    + layerIds.get(0).substring(0, 12)
                    + " is not in the store"),
        gone.getMessage());
  }

  @Test
  void incompleteLayerIsRefused() throws Exception {
    store.editLayer(layerIds.get(1), l -> l.putObject("flags").put("incomplete", true));
    InvalidImageException e =
        assertThrows(InvalidImageException.class, () -> open("app:1", new ArrayList<>()));
    assertTrue(e.getMessage().contains("incomplete"), e.getMessage());
  }

  @Test
  void missingStoreUnknownDriverAndMissingImage() throws Exception {
    ImageNotFoundException noStore =
        assertThrows(
            ImageNotFoundException.class,
            () ->
                FormatRegistry.load()
                    .open(
                        "containers-storage:[vfs@" + tmp.resolve("none") + "]x",
                        ReadOptions.defaults()));
    assertTrue(
        noStore.getMessage().contains("no store at " + tmp.resolve("none")), noStore.getMessage());
    UnsupportedFormatException driver =
        assertThrows(
            UnsupportedFormatException.class,
            () ->
                FormatRegistry.load()
                    .open("containers-storage:[zfs@" + root + "]app:1", ReadOptions.defaults()));
    assertTrue(
        driver.getMessage().contains("unsupported storage driver 'zfs'"), driver.getMessage());
    ImageNotFoundException noOverlay =
        assertThrows(
            ImageNotFoundException.class,
            () ->
                FormatRegistry.load()
                    .open(
                        "containers-storage:[overlay@" + root + "]app:1", ReadOptions.defaults()));
    assertTrue(noOverlay.getMessage().contains("no overlay store there"), noOverlay.getMessage());
    // the driver is found from the graph root when not named
    try (ImageSource s =
        FormatRegistry.load()
            .open("containers-storage:[" + root + "]app:1", ReadOptions.defaults())) {
      assertEquals(2, s.image().layers().size());
    }
  }

  @Test
  void withoutATarSplitTheLayerIsMadeFromItsDirectoryAndThatIsSaid() throws Exception {
    Files.delete(store.tarSplit(layerIds.get(0)));
    List<String> log = new ArrayList<>();
    try (ImageSource s = open("app:1", log)) {
      Image image = s.image();
      assertEquals(1, log.size(), log.toString());
      assertTrue(log.get(0).startsWith("warning: " + ref("app:1")), log.get(0));
      assertTrue(log.get(0).contains("has no tar-split file"), log.get(0));
      assertTrue(
          log.get(0).contains("cannot be checked against the recorded " + Digest.sha256(BASE)),
          log.get(0));
      Layer bottom = image.layers().get(0);
      assertNotEquals(Digest.sha256(BASE), bottom.diffId());
      assertEquals(bottom.diffId(), Image.diffIds(image.config(), "x").get(0));
      assertNull(image.manifestBytes(), "a manifest that no longer matches is dropped");
      assertEquals(files(BASE), files(readVerified(bottom)));
      assertArrayEquals(TOP, readVerified(image.layers().get(1)));
    }
  }

  @Test
  void holdsSharedFcntlLocksWhileOpenAndCreatesNothing() throws Exception {
    Map<String, String> before = tree(root);
    Path layersLock = root.resolve("vfs-layers/layers.lock");
    Path imagesLock = root.resolve("vfs-images/images.lock");
    Path storageLock = root.resolve("storage.lock");
    try (ImageSource s = open("app:1", new ArrayList<>())) {
      List<String> mine = procLocks();
      assertTrue(mine.contains("READ " + inode(layersLock)), mine + " " + inode(layersLock));
      assertTrue(mine.contains("READ " + inode(imagesLock)), mine.toString());
      assertFalse(
          mine.contains("READ " + inode(storageLock)),
          "storage.lock is held only while the lists are read");
      readVerified(s.image().layers().get(1));
    }
    List<String> after = procLocks();
    assertFalse(after.contains("READ " + inode(layersLock)), after.toString());
    assertFalse(after.contains("READ " + inode(imagesLock)), after.toString());
    assertEquals(before, tree(root), "the store changed");

    // a store without lock files (iSulad's) gets none
    Files.delete(layersLock);
    Files.delete(imagesLock);
    Files.delete(storageLock);
    Map<String, String> noLocks = tree(root);
    try (ImageSource s = open("app:1", new ArrayList<>())) {
      readVerified(s.image().layers().get(0));
    }
    assertEquals(noLocks, tree(root), "the store changed");
  }

  @Test
  void isuladLayoutIsReadFromItsLayerDirectories() throws Exception {
    // iSulad: per-image and per-layer directories, tar-split files without tar headers, names
    // stored without docker.io/library/, overlay2 layer directories, no lock files
    Path iroot = tmp.resolve("isulad");
    TestStore isulad = TestStore.isulad(iroot, "overlay2");
    List<String> ids = isulad.add(IMAGE, List.of("app:3"));
    Map<String, String> before = tree(iroot);
    List<String> log = new ArrayList<>();
    try (ImageSource s =
        FormatRegistry.load()
            .open(
                "containers-storage:[" + iroot + "]docker.io/library/app:3",
                ReadOptions.builder().log(log::add).build())) {
      Image image = s.image();
      assertEquals(2, log.size(), log.toString());
      assertTrue(
          log.get(1)
              .contains(
                  "layer "
                      + ids.get(1).substring(0, 12)
                      + " has a tar-split file without tar headers"),
          log.get(1));
      assertEquals(files(BASE), files(readVerified(image.layers().get(0))));
      Map<String, String> top = files(readVerified(image.layers().get(1)));
      assertEquals("top\n", top.get("etc/hostname"));
      assertEquals("new\n", top.get("opt/new"));
    }
    assertEquals(before, tree(iroot), "the store changed");

    // each file is still checked against the CRC-64 iSulad's tar-split records
    assertTrue(log.get(0).contains("each file checked against its recorded CRC-64"), log.get(0));
    Path hostname = isulad.layerDir(ids.get(1)).resolve("etc/hostname");
    Files.writeString(hostname, "tip\n");
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                FormatRegistry.load()
                    .open(
                        "containers-storage:[" + iroot + "]app:3",
                        ReadOptions.builder().log(log::add).build()));
    assertTrue(
        e.getMessage().contains("etc/hostname in " + isulad.layerDir(ids.get(1)))
            && e.getMessage().contains("does not match the CRC-64"),
        e.getMessage());
  }

  @Test
  void anAufsHardLinkFileIsReadFromTheFileLinkedToIt() throws Exception {
    byte[] aufs =
        TarBuilder.tar()
            .dir(".wh..wh.plnk")
            .file(".wh..wh.plnk/42.1", "shared bytes\n")
            .dir("usr")
            .hardlink("usr/a", ".wh..wh.plnk/42.1")
            .build();
    TestStore s = TestStore.containersStorage(tmp.resolve("aufs"), "vfs");
    List<String> ids = s.add(TestImage.image().layer(aufs, Compression.NONE), List.of("aufs:1"));
    // containers/storage extracts the AUFS file to a scratch directory and links usr/a to it
    Path a = s.layerDir(ids.get(0)).resolve("usr/a");
    Files.writeString(a, "shared bytes\n");
    String ref = "containers-storage:[vfs@" + s.root + "]aufs:1";
    List<String> log = new ArrayList<>();
    try (ImageSource src =
        FormatRegistry.load().open(ref, ReadOptions.builder().log(log::add).build())) {
      assertArrayEquals(aufs, readVerified(src.image().layers().get(0)));
    }
    assertTrue(log.isEmpty(), log.toString());
    // without such a file the layer cannot be rebuilt; it is made from its directory instead
    Files.delete(a);
    try (ImageSource src =
        FormatRegistry.load().open(ref, ReadOptions.builder().log(log::add).build())) {
      readVerified(src.image().layers().get(0));
    }
    assertEquals(1, log.size(), log.toString());
    assertTrue(log.get(0).contains("needs the AUFS hard-link file .wh..wh.plnk/42.1"), log.get(0));
  }

  @Test
  void anIdMappedLayerMadeFromItsDirectoryGetsContainerOwnersBack() throws Exception {
    Assumptions.assumeTrue(
        StorageConf.ProcessUser.uid() == 0, "needs root to give files sub-id owners");
    String id = layerIds.get(0);
    Files.delete(store.tarSplit(id));
    Path dir = store.layerDir(id);
    try (var all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        Files.setAttribute(p, "unix:uid", 100000, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", 100000, LinkOption.NOFOLLOW_LINKS);
      }
    }
    Files.setAttribute(dir.resolve("etc/hostname"), "unix:uid", 101000);
    store.editLayer(
        id,
        l -> {
          l.putArray("uidmap")
              .addObject()
              .put("container_id", 0)
              .put("host_id", 100000)
              .put("size", 65536);
          l.putArray("gidmap")
              .addObject()
              .put("container_id", 0)
              .put("host_id", 100000)
              .put("size", 65536);
        });
    try (ImageSource s = open("app:1", new ArrayList<>())) {
      TarReader r =
          new TarReader(new ByteArrayInputStream(readVerified(s.image().layers().get(0))));
      TarEntry e;
      int n = 0;
      while ((e = r.next()) != null) {
        assertEquals(e.name().startsWith("etc/hostname") ? 1000 : 0, e.uid(), e.name());
        assertEquals(0, e.gid(), e.name());
        n++;
      }
      assertEquals(5, n, "etc, etc/hostname, etc/passwd, opt, opt/big.bin");
    }
    // an owner outside the map is an error naming the file
    Files.setAttribute(dir.resolve("etc/passwd"), "unix:uid", 7);
    try (ImageSource s = open("app:1", new ArrayList<>())) {
      fail("opened with an unmappable owner");
    } catch (InvalidImageException e) {
      assertTrue(
          e.getMessage().contains("etc/passwd: host uid 7 is outside the layer's id map"),
          e.getMessage());
    }
  }

  /** Regular files of a tar: name to content. */
  private static Map<String, String> files(byte[] tar) throws Exception {
    Map<String, String> out = new TreeMap<>();
    TarReader r = new TarReader(new ByteArrayInputStream(tar));
    TarEntry e;
    while ((e = r.next()) != null) {
      if (e.isFile()) {
        try (InputStream in = r.content()) {
          out.put(
              e.name().replaceFirst("^\\./", ""),
              new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        }
      }
    }
    return out;
  }

  /** This JVM's POSIX locks from /proc/locks, as "READ|WRITE dev:inode". */
  static List<String> procLocks() throws IOException {
    String pid = Long.toString(ProcessHandle.current().pid());
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
      String[] f = line.trim().split("\\s+");
      // "1: POSIX  ADVISORY  READ 1234 00:2b:1234 0 EOF"
      if (f.length >= 6 && f[1].equals("POSIX") && f[4].equals(pid)) {
        out.add(f[3] + " " + f[5].substring(f[5].lastIndexOf(':') + 1));
      }
    }
    return out;
  }

  static String inode(Path p) throws IOException {
    return Files.getAttribute(p, "unix:ino").toString();
  }

  /** Every path under {@code dir} with its type, mode, owner, size, mtime and content hash. */
  static Map<String, String> tree(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a)
              throws IOException {
            out.put(dir.relativize(d).toString(), describe(d));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
            out.put(dir.relativize(f).toString(), describe(f));
            return FileVisitResult.CONTINUE;
          }
        });
    return out;
  }

  private static String describe(Path p) throws IOException {
    Map<String, Object> a =
        Files.readAttributes(
            p, "unix:mode,uid,gid,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
    String s =
        a.get("mode")
            + " "
            + a.get("uid")
            + ":"
            + a.get("gid")
            + " "
            + a.get("size")
            + " "
            + a.get("lastModifiedTime");
    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      s += " " + Digest.sha256(Files.readAllBytes(p));
    }
    return s;
  }
}
