package dev.isula.toolkit.tar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.testing.TarEntries;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reader against archives made by the real writers (GNU tar in each format and sparse version,
 * bsdtar, busybox, Python's tarfile), made afresh in a temporary directory by each test. Where no
 * real writer makes the case (a base-256 number in a ustar header, a NUL inside a GNU long name),
 * the test starts from a real writer's archive and changes the one field, saying why.
 */
class TarDialectsTest {
  @TempDir Path tmp;

  private static final String LONG_DIR = "a".repeat(120);

  // ---- item 1: one field's encoding must not change how another is read ----

  @Test
  void ustarPrefixIsHonouredWhenANumberIsBase256() throws Exception {
    RealTools.require("tar");
    Path d = Files.createDirectories(tmp.resolve("d/" + LONG_DIR));
    Files.writeString(d.resolve("foo"), "hi");
    RealTools.run(tmp, "tar", "--format=ustar", "-cf", "u.tar", "-C", "d", LONG_DIR + "/foo");
    byte[] tar = Files.readAllBytes(tmp.resolve("u.tar"));
    assertEquals("ustar\0", new String(tar, 257, 6, StandardCharsets.ISO_8859_1));
    assertTrue(tar[345] != 0, "GNU tar put the directory in the ustar prefix");
    // No writer we have emits base-256 in a ustar header (GNU tar, bsdtar and tarfile refuse
    // the value in ustar; old Go releases did it), so this sets the uid field of GNU tar's own
    // header to base-256 3,000,000 and recomputes the checksum.
    RawTar.base256(tar, 108, 8, 3_000_000L);
    rechecksum(tar, 0);
    Files.write(tmp.resolve("u256.tar"), tar);

    TarEntry e = TarEntries.read(tar).get(0).entry();

    assertEquals(LONG_DIR + "/foo", e.name());
    assertEquals(3_000_000L, e.uid());
    String gnu = RealTools.run(tmp, "tar", "--numeric-owner", "-tvf", "u256.tar");
    assertTrue(gnu.contains(" 3000000/") && gnu.contains(LONG_DIR + "/foo"), gnu);
  }

  @Test
  void gnuHeadersHaveNoPrefixEvenWithTimesInIt() throws Exception {
    // GNU incremental archives (-G) fill atime/ctime, where ustar keeps its prefix
    RealTools.require("tar");
    Path d = Files.createDirectories(tmp.resolve("d/sub"));
    Files.writeString(d.resolve("f"), "x");
    RealTools.run(tmp, "tar", "--format=gnu", "-G", "-cf", "g.tar", "-C", "d", ".");
    byte[] tar = Files.readAllBytes(tmp.resolve("g.tar"));
    assertTrue(tar[345] != 0, "GNU tar -G wrote an atime where ustar has its prefix");

    List<String> names = new ArrayList<>();
    for (TarEntries.Item i : TarEntries.read(tar)) {
      names.add(i.name());
    }

    assertEquals(List.of("./", "./sub/", "./sub/f"), names);
  }

  // ---- item 3: sparse files from every writer ----

  /** A file with holes: data at 48 KiB, at ~1000 KiB, and a hole at its end. */
  private Path sparseFile(Path dir, int segments) throws Exception {
    Files.createDirectories(dir);
    Path f = dir.resolve("sp");
    Random random = new Random(segments);
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      for (int i = 0; i < segments; i++) {
        byte[] data = new byte[4096 + i];
        random.nextBytes(data);
        raf.seek(49152L + i * 65536L);
        raf.write(data);
      }
      raf.setLength(49152L + segments * 65536L + 100_000);
    }
    return f;
  }

  static List<String[]> sparseWriters() {
    return List.of(
        new String[] {"tar", "--format=gnu", "--sparse"},
        new String[] {"tar", "--format=oldgnu", "--sparse"},
        new String[] {"tar", "--format=posix", "--sparse", "--sparse-version=0.0"},
        new String[] {"tar", "--format=posix", "--sparse", "--sparse-version=0.1"},
        new String[] {"tar", "--format=posix", "--sparse", "--sparse-version=1.0"},
        new String[] {"bsdtar"},
        new String[] {"bsdtar", "--format=pax"});
  }

  @ParameterizedTest(name = "{0} segments")
  @ValueSource(ints = {2, 30})
  void sparseFilesOfEveryWriterAreExpanded(int segments) throws Exception {
    RealTools.require("tar", "bsdtar");
    Path src = sparseFile(tmp.resolve("src"), segments);
    byte[] expected = Files.readAllBytes(src);
    for (String[] writer : sparseWriters()) {
      String label = String.join(" ", writer);
      List<String> cmd = new ArrayList<>(List.of(writer));
      cmd.addAll(List.of("-cf", "s.tar", "-C", "src", "sp"));
      Files.deleteIfExists(tmp.resolve("s.tar"));
      RealTools.run(tmp, cmd.toArray(String[]::new));
      byte[] tar = Files.readAllBytes(tmp.resolve("s.tar"));
      assertTrue(
          tar.length < expected.length / 2, label + " wrote the file sparse (" + tar.length + ")");

      List<TarEntries.Item> items = TarEntries.read(tar);

      assertEquals(1, items.size(), label);
      TarEntry e = items.get(0).entry();
      assertEquals("sp", e.name(), label);
      assertEquals(EntryType.FILE, e.type(), label);
      assertEquals(expected.length, e.size(), label);
      assertArrayEquals(expected, items.get(0).content(), label);

      // the cleaned copy is a plain archive that GNU tar extracts to the same file
      ByteArrayOutputStream copy = new ByteArrayOutputStream();
      InputStream in = new ByteArrayInputStream(tar);
      TarReader r = new TarReader(in);
      r.copyTo(copy);
      while (r.next() != null) {
        // skipping unread content still writes it to the copy
      }
      in.transferTo(copy);
      Path out = Files.createDirectories(tmp.resolve("out"));
      Files.write(tmp.resolve("copy.tar"), copy.toByteArray());
      assertFalse(
          new String(copy.toByteArray(), StandardCharsets.ISO_8859_1).contains("GNU.sparse"),
          label);
      RealTools.run(tmp, "tar", "-xf", "copy.tar", "-C", "out");
      assertArrayEquals(expected, Files.readAllBytes(out.resolve("sp")), label);
      Files.delete(out.resolve("sp"));
    }
  }

  @Test
  void sparseEntryErrorsNameTheRealPath() throws Exception {
    RealTools.require("tar");
    sparseFile(tmp.resolve("src"), 2);
    RealTools.run(
        tmp,
        "tar",
        "--format=posix",
        "--sparse",
        "--sparse-version=1.0",
        "-cf",
        "s.tar",
        "-C",
        "src",
        "sp");
    byte[] tar = Files.readAllBytes(tmp.resolve("s.tar"));
    byte[] cut = Arrays.copyOf(tar, 2048); // inside the first data segment

    TarReader r = new TarReader(new ByteArrayInputStream(cut));
    assertEquals("sp", r.next().name());
    Exception e = assertThrows(java.io.EOFException.class, () -> r.content().readAllBytes());

    assertTrue(e.getMessage().contains("'sp'"), e.getMessage());
    assertFalse(e.getMessage().contains("GNUSparseFile"), e.getMessage());
  }

  // ---- item 4: a missing end marker ----

  @Test
  void archiveWithoutEndMarkerIsReadLikeGnuTarReadsIt() throws Exception {
    RealTools.require("tar");
    Path d = Files.createDirectories(tmp.resolve("d"));
    Files.writeString(d.resolve("a"), "a".repeat(700));
    Files.writeString(d.resolve("b"), "b");
    RealTools.run(tmp, "tar", "--format=gnu", "-cf", "t.tar", "-C", "d", "a", "b");
    byte[] tar = Files.readAllBytes(tmp.resolve("t.tar"));
    byte[] noEnd = Arrays.copyOf(tar, 512 * 5); // a (header + 2 blocks), b (header + 1 block)
    Files.write(tmp.resolve("noend.tar"), noEnd);

    TarReader r = new TarReader(new ByteArrayInputStream(noEnd));
    assertEquals("a", r.next().name());
    assertEquals("b", r.next().name());
    assertNull(r.next());

    assertTrue(r.endMarkerMissing());
    assertEquals("a\nb\n", RealTools.run(tmp, "tar", "-tf", "noend.tar"));
    byte[] cutInData = Arrays.copyOf(tar, 512 * 2);
    TarReader broken = new TarReader(new ByteArrayInputStream(cutInData));
    assertEquals("a", broken.next().name());
    Exception e = assertThrows(java.io.EOFException.class, broken::next);
    assertTrue(e.getMessage().contains("'a'"), e.getMessage());
  }

  // ---- item 5: GNU long names ----

  @Test
  void gnuLongNameEndsAtItsFirstNul() throws Exception {
    RealTools.require("tar");
    String name = "n".repeat(150);
    Path d = Files.createDirectories(tmp.resolve("d"));
    Files.writeString(d.resolve(name), "x");
    RealTools.run(tmp, "tar", "--format=gnu", "-cf", "l.tar", "-C", "d", name);
    byte[] tar = Files.readAllBytes(tmp.resolve("l.tar"));
    assertEquals('L', tar[156]);
    // GNU tar always ends the long name with its only NUL; writers that pad the record with
    // NULs and junk exist, so this puts a NUL and junk inside GNU tar's own record (same size).
    tar[512 + 140] = 0;
    tar[512 + 141] = 'J';
    byte[] expected = Files.readAllBytes(d.resolve(name));
    Files.write(tmp.resolve("nul.tar"), tar);

    TarEntries.Item item = TarEntries.read(tar).get(0);

    assertEquals(name.substring(0, 140), item.name());
    assertArrayEquals(expected, item.content());
    assertEquals(name.substring(0, 140) + "\n", RealTools.run(tmp, "tar", "-tf", "nul.tar"));
  }

  // ---- item 2: xattrs as bsdtar and GNU tar write them ----

  @Test
  void bsdtarXattrsAreReadOnceWithTheirRealNames() throws Exception {
    RealTools.require("bsdtar", "setfattr");
    Path d = Files.createDirectories(tmp.resolve("d"));
    Path f = Files.writeString(d.resolve("f"), "x");
    RealTools.run(tmp, "setfattr", "-n", "user.plain", "-v", "hello", f.toString());
    RealTools.run(tmp, "setfattr", "-n", "user.sp ace%", "-v", "0sAAEC", f.toString());
    RealTools.run(tmp, "bsdtar", "--format", "pax", "-cf", "x.tar", "-C", "d", "f");
    byte[] tar = Files.readAllBytes(tmp.resolve("x.tar"));
    String raw = new String(tar, StandardCharsets.ISO_8859_1);
    assertTrue(raw.contains("LIBARCHIVE.xattr.user.sp%20ace%25="), "bsdtar wrote both forms");
    assertTrue(raw.contains("SCHILY.xattr.user.sp%20ace%25="), "bsdtar wrote both forms");

    TarEntry e = TarEntries.read(tar).get(0).entry();

    assertEquals(List.of("user.plain", "user.sp ace%"), List.copyOf(e.xattrs().keySet()));
    assertArrayEquals(new byte[] {0, 1, 2}, e.xattrs().get("user.sp ace%"));
    assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), e.xattrs().get("user.plain"));
  }

  @Test
  void aCopyOfABsdtarArchiveHasNoLibarchiveRecordsThatGnuTarWarnsAbout() throws Exception {
    RealTools.require("bsdtar", "tar", "setfattr");
    Path d = Files.createDirectories(tmp.resolve("d"));
    Path f = Files.writeString(d.resolve("f"), "content\n");
    Files.writeString(d.resolve("plain"), "no attributes\n");
    RealTools.run(tmp, "setfattr", "-n", "user.plain", "-v", "hello", f.toString());
    RealTools.run(tmp, "setfattr", "-n", "user.empty", f.toString());
    RealTools.run(tmp, "bsdtar", "--format", "pax", "-cf", "x.tar", "-C", "d", "f", "plain");
    byte[] tar = Files.readAllBytes(tmp.resolve("x.tar"));
    assertTrue(
        new String(tar, StandardCharsets.ISO_8859_1).contains("LIBARCHIVE.xattr.user.plain="),
        "bsdtar wrote its own xattr records");
    RealTools.Result original = RealTools.exec(tmp, "tar", "-tvf", "x.tar");
    assertTrue(original.stderr().contains("LIBARCHIVE.xattr"), "GNU tar warns on the original");

    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    InputStream in = new ByteArrayInputStream(tar);
    TarReader r = new TarReader(in);
    r.copyTo(copy);
    while (r.next() != null) {
      // the copy is written while reading
    }
    in.transferTo(copy);
    Files.write(tmp.resolve("copy.tar"), copy.toByteArray());

    assertFalse(
        new String(copy.toByteArray(), StandardCharsets.ISO_8859_1).contains("LIBARCHIVE."));
    RealTools.Result listed = RealTools.exec(tmp, "tar", "-tvf", "copy.tar");
    assertEquals(0, listed.exit(), listed.stderr());
    assertEquals("", listed.stderr());
    List<TarEntries.Item> before = TarEntries.read(tar);
    List<TarEntries.Item> after = TarEntries.read(copy.toByteArray());
    assertEquals(before.size(), after.size());
    for (int i = 0; i < before.size(); i++) {
      TarEntry b = before.get(i).entry();
      TarEntry a = after.get(i).entry();
      assertEquals(b.name(), a.name());
      assertEquals(b.mode(), a.mode());
      assertEquals(b.mtimeSeconds(), a.mtimeSeconds());
      assertEquals(b.mtimeNanos(), a.mtimeNanos());
      assertEquals(b.xattrs().keySet(), a.xattrs().keySet(), b.name());
      assertArrayEquals(before.get(i).content(), after.get(i).content());
    }
    assertEquals(List.of("user.plain"), List.copyOf(after.get(0).entry().xattrs().keySet()));
  }

  private static void rechecksum(byte[] tar, int off) {
    byte[] h = Arrays.copyOfRange(tar, off, off + 512);
    RawTar.checksum(h);
    System.arraycopy(h, 0, tar, off, 512);
  }

  @Test
  void truncatedSparseMapIsAnError() throws Exception {
    RealTools.require("tar");
    sparseFile(tmp.resolve("src"), 2);
    RealTools.run(
        tmp,
        "tar",
        "--format=posix",
        "--sparse",
        "--sparse-version=1.0",
        "-cf",
        "s.tar",
        "-C",
        "src",
        "sp");
    byte[] tar = Files.readAllBytes(tmp.resolve("s.tar"));
    int dataHeader = 1024; // after the PAX header and its one block of records
    byte[] cut = Arrays.copyOf(tar, dataHeader + 512 + 100);

    assertThrows(java.io.IOException.class, () -> TarEntries.read(cut));
    assertThrows(InvalidImageException.class, () -> TarEntries.read(Arrays.copyOf(tar, 700)));
  }
}
