package dev.isula.toolkit.tar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.isula.toolkit.testing.TarEntries;
import dev.isula.toolkit.testing.TarEntries.Item;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TarWriterTest {
  private static final long M = 1_600_000_000L;

  private static TarEntry.Builder entry(String name) {
    return TarEntry.builder().name(name).mtimeSeconds(M);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] write(List<Item> items) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out);
    for (Item i : items) {
      w.write(i.entry(), i.content());
    }
    w.finish();
    assertEquals(out.size(), w.bytesWritten());
    return out.toByteArray();
  }

  private static byte[] write(TarEntry e) throws IOException {
    return write(List.of(new Item(e, new byte[(int) e.size()])));
  }

  /** The header block of the first entry that is not an extended header. */
  private static byte[] entryHeader(byte[] tar) {
    int off = 0;
    while (tar[off + 156] == 'x') {
      long size = Long.parseLong(new String(tar, off + 124, 11, StandardCharsets.US_ASCII), 8);
      off += 512 + (int) ((size + 511) / 512 * 512);
    }
    return Arrays.copyOfRange(tar, off, off + 512);
  }

  /** The PAX records of the first entry, or "" if it has none. */
  private static String paxOf(byte[] tar) {
    if (tar[156] != 'x') {
      return "";
    }
    int size = Integer.parseInt(new String(tar, 124, 11, StandardCharsets.US_ASCII), 8);
    return new String(tar, 512, size, StandardCharsets.ISO_8859_1);
  }

  private static String field(byte[] header, int off, int len) {
    int end = off;
    while (end < off + len && header[end] != 0) {
      end++;
    }
    return new String(header, off, end - off, StandardCharsets.ISO_8859_1);
  }

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

  /** One entry of every type, every field set to something other than its default. */
  static List<Item> everyField() {
    List<Item> items = new ArrayList<>();
    items.add(
        new Item(
            entry("etc").type(EntryType.DIRECTORY).mode(0750).uid(1).gid(2).build(), new byte[0]));
    items.add(new Item(entry("tmp/").type(EntryType.DIRECTORY).mode(01777).build(), new byte[0]));
    byte[] passwd = utf8("root:x:0:0:root:/root:/bin/sh\n");
    items.add(
        new Item(
            TarEntry.builder()
                .name("etc/passwd")
                .mode(0644)
                .uid(1000)
                .gid(1001)
                .uname("alice")
                .gname("staff")
                .mtime(M, 123_456_789)
                .size(passwd.length)
                .xattr("security.capability", CAPABILITY)
                .xattr("user.comment", utf8("hello"))
                .build(),
            passwd));
    items.add(new Item(entry("su").mode(04755).size(2).build(), utf8("su")));
    items.add(new Item(entry("sg").mode(02755).build(), new byte[0]));
    items.add(
        new Item(
            entry("lnk").type(EntryType.SYMLINK).mode(0777).linkName("../target").build(),
            new byte[0]));
    items.add(
        new Item(
            entry("hard").type(EntryType.HARDLINK).linkName("etc/passwd").build(), new byte[0]));
    items.add(
        new Item(
            entry("null").type(EntryType.CHAR_DEVICE).mode(0666).device(1, 3).build(),
            new byte[0]));
    items.add(
        new Item(
            entry("loop0").type(EntryType.BLOCK_DEVICE).mode(0660).device(7, 0).build(),
            new byte[0]));
    items.add(new Item(entry("fifo").type(EntryType.FIFO).mode(0600).build(), new byte[0]));
    items.add(new Item(entry("empty").build(), new byte[0]));
    byte[] odd = new byte[513];
    Arrays.fill(odd, (byte) 'o');
    items.add(new Item(entry("odd-size").size(odd.length).build(), odd));
    return items;
  }

  // ---- round trips ----

  @Test
  void everyFieldOfEveryTypeRoundTrips() throws Exception {
    List<Item> items = everyField();

    List<Item> back = TarEntries.read(write(items));

    assertEquals(items.size(), back.size());
    for (int i = 0; i < items.size(); i++) {
      TarEntry want = items.get(i).entry();
      if (want.isDirectory() && !want.name().endsWith("/")) {
        want = want.withName(want.name() + "/");
      }
      assertEquals(want, back.get(i).entry(), want.name());
      assertArrayEquals(items.get(i).content(), back.get(i).content(), want.name());
    }
    assertArrayEquals(
        CAPABILITY, back.get(2).entry().xattrs().get("security.capability"), "binary xattr");
  }

  @Test
  void longNamesLinksAndOwnerNamesRoundTripThroughPax() throws Exception {
    String name300 = "a".repeat(100) + "/" + "b".repeat(100) + "/" + "c".repeat(99);
    String link200 = "/" + "t".repeat(199);
    String uname = "u".repeat(40);
    String gname = "g\u00e9n\u00e9ral";
    TarEntry e =
        entry(name300).type(EntryType.SYMLINK).linkName(link200).uname(uname).gname(gname).build();

    byte[] tar = write(e);

    String pax = paxOf(tar);
    assertTrue(pax.contains(" path=" + name300 + "\n"), pax);
    assertTrue(pax.contains(" linkpath=" + link200 + "\n"), pax);
    assertTrue(pax.contains(" uname=" + uname + "\n"), pax);
    assertTrue(pax.contains("gname="), pax);
    assertEquals(e, TarEntries.read(tar).get(0).entry());
  }

  @Test
  void ustarPrefixIsUsedForLongAsciiNamesThatSplit() throws Exception {
    String name = "p".repeat(120) + "/" + "n".repeat(90);
    TarEntry e = entry(name).build();

    byte[] tar = write(e);

    assertEquals('0', tar[156], "no PAX header needed");
    assertEquals("p".repeat(120), field(tar, 345, 155));
    assertEquals("n".repeat(90), field(tar, 0, 100));
    assertEquals(e, TarEntries.read(tar).get(0).entry());
  }

  @Test
  void nameOfExactlyOneHundredBytesFitsUstar() throws Exception {
    TarEntry e = entry("x".repeat(100)).build();

    byte[] tar = write(e);

    assertEquals('0', tar[156]);
    assertEquals(e, TarEntries.read(tar).get(0).entry());
  }

  @Test
  void nonAsciiAndNonUtf8NamesRoundTripByteForByte() throws Exception {
    String utf8Name = "na\u00efve/\u65e5\u672c\u8a9e";
    String rawName = "latin1-caf\uDCE9/\uDCFF\uDC80";
    for (String name : List.of(utf8Name, rawName)) {
      TarEntry e = entry(name).type(EntryType.SYMLINK).linkName(name + "-target").build();

      byte[] tar = write(e);

      String pax = paxOf(tar);
      assertTrue(pax.contains("path="), pax);
      assertEquals(RawNames.hasRawBytes(name), pax.contains("hdrcharset=BINARY"), pax);
      assertEquals(e, TarEntries.read(tar).get(0).entry());
    }
    byte[] tar = write(entry(rawName).build());
    byte[] expectedBytes = {'c', 'a', 'f', (byte) 0xe9, '/', (byte) 0xff, (byte) 0x80};
    String pax = paxOf(tar);
    int at = pax.indexOf("path=latin1-") + "path=latin1-".length();
    assertArrayEquals(
        expectedBytes,
        Arrays.copyOfRange(
            pax.getBytes(StandardCharsets.ISO_8859_1), at, at + expectedBytes.length),
        "the raw bytes are written as they were read");
  }

  @ParameterizedTest(name = "{0}.{1}")
  @CsvSource({
    "0, 1",
    "1600000000, 123456789",
    "1600000000, 500000000",
    "-1, 0",
    "-1, 500000000",
    "-2, 750000000",
    "-1000000000, 1",
    "8589934591, 0",
    "8589934592, 0",
    "253402300799, 999999999"
  })
  void mtimesRoundTripIncludingFractionsAndNegatives(long seconds, int nanos) throws Exception {
    TarEntry e = entry("t").mtime(seconds, nanos).build();

    byte[] tar = write(e);

    TarEntry back = TarEntries.read(tar).get(0).entry();
    assertEquals(seconds, back.mtimeSeconds());
    assertEquals(nanos, back.mtimeNanos());
    boolean needsPax = nanos != 0 || seconds < 0 || seconds > 077777777777L;
    assertEquals(needsPax, paxOf(tar).contains(" mtime="), paxOf(tar));
  }

  @Test
  void formatTimeWritesShortestFraction() {
    assertEquals("5", TarWriter.formatTime(5, 0));
    assertEquals("5.5", TarWriter.formatTime(5, 500_000_000));
    assertEquals("5.000000001", TarWriter.formatTime(5, 1));
    assertEquals("-1.25", TarWriter.formatTime(-2, 750_000_000));
    assertEquals("-0.5", TarWriter.formatTime(-1, 500_000_000));
    assertEquals("-3", TarWriter.formatTime(-3, 0));
  }

  @Test
  void bigIdsGoToPaxAndZeroTheUstarFields() throws Exception {
    TarEntry e = entry("ids").uid(TarWriter.MAX_ID).gid(07777777 + 1).build();

    byte[] tar = write(e);

    String pax = paxOf(tar);
    assertTrue(pax.contains(" uid=4294967295\n"), pax);
    assertTrue(pax.contains(" gid=2097152\n"), pax);
    byte[] h = entryHeader(tar);
    assertEquals("0000000", field(h, 108, 8));
    assertEquals("0000000", field(h, 116, 8));
    assertEquals(e, TarEntries.read(tar).get(0).entry());
  }

  @Test
  void largestOctalIdsStayInUstar() throws Exception {
    TarEntry e = entry("ids").uid(07777777).gid(07777777).build();

    byte[] tar = write(e);

    assertEquals("", paxOf(tar));
    assertEquals(e, TarEntries.read(tar).get(0).entry());
  }

  @Test
  void hugeDeviceNumbersUseBase256() throws Exception {
    TarEntry e =
        entry("dev").type(EntryType.CHAR_DEVICE).device(Integer.MAX_VALUE, 0x12345678).build();

    byte[] tar = write(e);

    byte[] h = entryHeader(tar);
    assertEquals((byte) 0x80, h[329]);
    assertEquals((byte) 0x80, h[337]);
    assertEquals(e, TarEntries.read(tar).get(0).entry());
  }

  @Test
  void sizeBeyondUstarUsesPaxAndReadsBack() throws Exception {
    long size = 10L * 1024 * 1024 * 1024 + 7; // > 8 GiB: cannot be octal in 11 digits
    TarEntry e = entry("huge.img").size(size).build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out);

    w.putEntry(e); // header only: the content would not fit in a test
    byte[] headers = out.toByteArray();

    String pax = paxOf(headers);
    assertTrue(pax.contains(" size=" + size + "\n"), pax);
    assertEquals("00000000000", field(entryHeader(headers), 124, 12));
    TarReader r = new TarReader(new ByteArrayInputStream(headers));
    TarEntry back = r.next();
    assertEquals(size, back.size());
    assertEquals(e, back);
    assertEquals(headers.length, r.dataOffset());
  }

  @Test
  void largestOctalSizeStaysInUstar() throws Exception {
    long size = 077777777777L;
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    new TarWriter(out).putEntry(entry("big").size(size).build());

    byte[] headers = out.toByteArray();
    assertEquals(512, headers.length);
    assertEquals(size, new TarReader(new ByteArrayInputStream(headers)).next().size());
  }

  // ---- layout ----

  @Test
  void outputIsDeterministicBlockAlignedAndTerminated() throws Exception {
    byte[] first = write(everyField());
    byte[] second = write(everyField());

    assertArrayEquals(first, second);
    assertEquals(0, first.length % 512);
    assertArrayEquals(new byte[1024], Arrays.copyOfRange(first, first.length - 1024, first.length));
  }

  @Test
  void plainEntryNeedsNoExtendedHeader() throws Exception {
    byte[] tar = write(List.of(new Item(entry("a").size(3).build(), utf8("abc"))));

    assertEquals(512 + 512 + 1024, tar.length);
    assertEquals('0', tar[156]);
    assertEquals("ustar", field(tar, 257, 6));
    assertEquals("00", new String(tar, 263, 2, StandardCharsets.US_ASCII));
    assertEquals("a", field(tar, 0, 100));
  }

  @Test
  void directoriesGetOneTrailingSlash() throws Exception {
    byte[] tar =
        write(
            List.of(
                new Item(entry("d").type(EntryType.DIRECTORY).build(), new byte[0]),
                new Item(entry("e/").type(EntryType.DIRECTORY).build(), new byte[0])));

    assertEquals(List.of("d/", "e/"), TarEntries.names(TarEntries.read(tar)));
  }

  @Test
  void paxHeaderNameIsDerivedFromTheEntryName() throws Exception {
    byte[] tar = write(entry("dir/file").mtime(M, 1).build());

    assertEquals('x', tar[156]);
    assertEquals("dir/PaxHeaders.0/file", field(tar, 0, 100));
  }

  @Test
  void finishIsIdempotentAndCloseClosesTheStream() throws Exception {
    boolean[] closed = {false};
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    OutputStream out =
        new OutputStream() {
          @Override
          public void write(int b) {
            bytes.write(b);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
          }

          @Override
          public void close() {
            closed[0] = true;
          }
        };
    TarWriter w = new TarWriter(out);
    w.write(entry("a").size(1).build(), new byte[] {1});
    w.finish();
    w.finish();
    w.close();

    assertTrue(closed[0]);
    assertEquals(512 + 512 + 1024, bytes.size());
  }

  // ---- misuse ----

  @Test
  void moreContentThanDeclaredIsRefused() throws Exception {
    TarWriter w = new TarWriter(new ByteArrayOutputStream());
    w.putEntry(entry("a").size(2).build());

    assertThrows(IOException.class, () -> w.write(new byte[3], 0, 3));
  }

  @Test
  void missingContentIsRefusedAtTheNextEntryAndAtFinish() throws Exception {
    TarWriter w = new TarWriter(new ByteArrayOutputStream());
    w.putEntry(entry("a").size(2).build());
    w.write(new byte[1], 0, 1);

    assertThrows(IOException.class, () -> w.putEntry(entry("b").build()));
    assertThrows(IOException.class, w::finish);
  }

  @Test
  void contentArrayMustMatchTheSize() {
    TarWriter w = new TarWriter(new ByteArrayOutputStream());

    assertThrows(
        IllegalArgumentException.class, () -> w.write(entry("a").size(2).build(), new byte[3]));
  }

  @Test
  void copyContentFailsIfTheSourceEndsEarly() throws Exception {
    TarWriter w = new TarWriter(new ByteArrayOutputStream());
    w.putEntry(entry("a").size(10).build());

    assertThrows(EOFException.class, () -> w.copyContent(new ByteArrayInputStream(new byte[4])));
  }

  @Test
  void copyContentStopsAtTheDeclaredSize() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out);
    ByteArrayInputStream src = new ByteArrayInputStream(utf8("abcdef"));

    w.write(entry("a").size(4).build(), src);
    w.finish();

    assertEquals(2, src.available(), "only the declared bytes are consumed");
    assertEquals("abcd", TarEntries.read(out.toByteArray()).get(0).text());
  }

  // ---- interoperability ----

  @Test
  void commonsCompressReadsWhatTarWriterWrites() throws Exception {
    List<Item> items = new ArrayList<>(everyField());
    String longName = "l".repeat(120) + "/" + "m".repeat(150);
    String longLink = "t".repeat(140);
    items.add(new Item(entry(longName).size(2).uid(5_000_000).build(), utf8("ln")));
    items.add(
        new Item(
            entry("long-link").type(EntryType.SYMLINK).linkName(longLink).build(), new byte[0]));
    byte[] tar = write(items);

    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (Item item : items) {
        TarEntry want = item.entry();
        TarArchiveEntry got = in.getNextEntry();
        String wantName =
            want.isDirectory() && !want.name().endsWith("/") ? want.name() + "/" : want.name();
        assertEquals(wantName, got.getName());
        assertEquals(want.size(), got.getSize(), wantName);
        assertEquals(want.mode(), got.getMode() & 07777, wantName);
        assertEquals(want.uid(), got.getLongUserId(), wantName);
        assertEquals(want.gid(), got.getLongGroupId(), wantName);
        assertEquals(want.uname(), got.getUserName(), wantName);
        assertEquals(want.gname(), got.getGroupName(), wantName);
        assertEquals(want.mtimeSeconds(), got.getLastModifiedTime().toInstant().getEpochSecond());
        assertEquals(want.linkName(), got.getLinkName(), wantName);
        assertEquals(want.type() == EntryType.SYMLINK, got.isSymbolicLink(), wantName);
        assertEquals(want.type() == EntryType.HARDLINK, got.isLink(), wantName);
        assertEquals(want.type() == EntryType.DIRECTORY, got.isDirectory(), wantName);
        assertEquals(want.type() == EntryType.CHAR_DEVICE, got.isCharacterDevice(), wantName);
        assertEquals(want.type() == EntryType.BLOCK_DEVICE, got.isBlockDevice(), wantName);
        assertEquals(want.type() == EntryType.FIFO, got.isFIFO(), wantName);
        if (want.type().isDevice()) {
          assertEquals(want.devMajor(), got.getDevMajor());
          assertEquals(want.devMinor(), got.getDevMinor());
        }
        if (want.xattrs().containsKey("user.comment")) {
          assertEquals("hello", got.getExtraPaxHeader("SCHILY.xattr.user.comment"));
        }
        assertArrayEquals(item.content(), in.readAllBytes(), wantName);
      }
      assertNull(in.getNextEntry());
    }
  }

  // ---- the system tar ----

  private static String run(Path dir, String... command) throws Exception {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
    assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + output);
    return output;
  }

  private static boolean haveGnuTar() {
    return Files.isExecutable(Path.of("/usr/bin/tar"));
  }

  private static List<Item> extractable() {
    List<Item> items = new ArrayList<>();
    items.add(new Item(entry("etc").type(EntryType.DIRECTORY).mode(0755).build(), new byte[0]));
    items.add(
        new Item(
            entry("etc/passwd")
                .mode(0640)
                .mtime(M, 123_456_789)
                .size(5)
                .xattr("user.comment", utf8("hello"))
                .build(),
            utf8("root\n")));
    items.add(new Item(entry("etc/su").mode(04755).size(2).build(), utf8("su")));
    items.add(
        new Item(
            entry("etc/link").type(EntryType.SYMLINK).mode(0777).linkName("passwd").build(),
            new byte[0]));
    items.add(
        new Item(
            entry("etc/hard").type(EntryType.HARDLINK).linkName("etc/passwd").build(),
            new byte[0]));
    String deep = "d";
    for (int i = 0; i < 6; i++) {
      deep = deep + "/" + (char) ('a' + i) + "x".repeat(49);
      items.add(new Item(entry(deep).type(EntryType.DIRECTORY).mode(0755).build(), new byte[0]));
    }
    items.add(new Item(entry(deep + "/" + "f".repeat(120)).size(4).build(), utf8("deep")));
    items.add(new Item(entry("fifo").type(EntryType.FIFO).mode(0644).build(), new byte[0]));
    return items;
  }

  @Test
  void gnuTarListsWhatTarWriterWrites(@TempDir Path tmp) throws Exception {
    assumeTrue(haveGnuTar(), "GNU tar is not installed");
    List<Item> items = new ArrayList<>(extractable());
    items.add(
        new Item(
            entry("dev-null").type(EntryType.CHAR_DEVICE).mode(0666).device(1, 3).build(),
            new byte[0]));
    items.add(new Item(entry("uids").uid(3_000_000).gid(3_000_001).build(), new byte[0]));
    Path file = tmp.resolve("out.tar");
    Files.write(file, write(items));

    String listing = run(tmp, "/usr/bin/tar", "--numeric-owner", "-tvf", file.toString());

    String[] lines = listing.split("\n");
    assertEquals(items.size(), lines.length, listing);
    for (int i = 0; i < items.size(); i++) {
      String name = items.get(i).entry().name();
      assertTrue(lines[i].contains(name), lines[i] + " should name " + name);
    }
    assertTrue(lines[0].startsWith("drwxr-xr-x"), lines[0]);
    assertTrue(lines[2].startsWith("-rwsr-xr-x"), lines[2]);
    assertTrue(lines[3].contains("etc/link -> passwd"), lines[3]);
    assertTrue(lines[4].contains("etc/hard link to etc/passwd"), lines[4]);
    assertTrue(
        Pattern.compile("(?m)^crw-rw-rw- 0/0 +1,3 .* dev-null$").matcher(listing).find(), listing);
    assertTrue(listing.contains("3000000/3000001"), listing);
  }

  @Test
  void gnuTarExtractsWhatTarWriterWrites(@TempDir Path tmp) throws Exception {
    assumeTrue(haveGnuTar(), "GNU tar is not installed");
    Path file = tmp.resolve("out.tar");
    Files.write(file, write(extractable()));
    Path root = Files.createDirectory(tmp.resolve("root"));

    run(root, "/usr/bin/tar", "--xattrs", "-p", "-xf", file.toString());

    Path passwd = root.resolve("etc/passwd");
    assertEquals("root\n", Files.readString(passwd));
    assertEquals(
        Instant.ofEpochSecond(M, 123_456_789), Files.getLastModifiedTime(passwd).toInstant());
    assertEquals(0640, (int) Files.getAttribute(passwd, "unix:mode") & 07777);
    assertEquals(
        Path.of("passwd"), Files.readSymbolicLink(root.resolve("etc/link")), "symlink target");
    assertEquals(
        Files.getAttribute(passwd, "unix:ino"),
        Files.getAttribute(root.resolve("etc/hard"), "unix:ino"),
        "hardlink shares the inode");
    assertEquals(0755, (int) Files.getAttribute(root.resolve("etc/su"), "unix:mode") & 0777);
    try (var s = Files.walk(root)) {
      assertTrue(
          s.anyMatch(p -> p.getFileName().toString().equals("f".repeat(120))),
          "the >255 byte path was extracted");
    }
    assertTrue(
        (int) Files.getAttribute(root.resolve("fifo"), "unix:mode", LinkOption.NOFOLLOW_LINKS) >> 12
            == 01,
        "a fifo");
    UserDefinedFileAttributeView xattrs =
        Files.getFileAttributeView(passwd, UserDefinedFileAttributeView.class);
    if (xattrs != null && Files.getFileStore(passwd).supportsFileAttributeView("user")) {
      assertTrue(xattrs.list().contains("comment"), xattrs.list().toString());
      ByteBuffer value = ByteBuffer.allocate(xattrs.size("comment"));
      xattrs.read("comment", value);
      assertEquals("hello", new String(value.array(), StandardCharsets.UTF_8));
    }
    assertFalse(Files.exists(root.resolve("PaxHeaders.0")), "PAX headers are not files");
  }

  @Test
  void tarWriterReadsBackWhatGnuTarWrites(@TempDir Path tmp) throws Exception {
    assumeTrue(haveGnuTar(), "GNU tar is not installed");
    Path src = Files.createDirectories(tmp.resolve("src/" + "s".repeat(120)));
    Files.writeString(src.resolve("f".repeat(110)), "gnu");
    Files.createSymbolicLink(tmp.resolve("src/link"), Path.of("s".repeat(120)));
    Path posix = tmp.resolve("posix.tar");
    Path gnu = tmp.resolve("gnu.tar");

    run(tmp, "/usr/bin/tar", "--format=posix", "--sort=name", "-cf", posix.toString(), "src");
    run(tmp, "/usr/bin/tar", "--format=gnu", "--sort=name", "-cf", gnu.toString(), "src");

    for (Path archive : List.of(posix, gnu)) {
      List<Item> items = TarEntries.read(Files.readAllBytes(archive));
      List<String> names = TarEntries.names(items);
      assertEquals(
          List.of(
              "src/",
              "src/link",
              "src/" + "s".repeat(120) + "/",
              "src/" + "s".repeat(120) + "/" + "f".repeat(110)),
          names,
          archive.toString());
      assertEquals("gnu", items.get(3).text());
      assertEquals("s".repeat(120), items.get(1).entry().linkName());
    }
  }

  /** An open entry, patched afterwards, is byte for byte the entry written with its size. */
  @Test
  void anOpenEntryPatchedToItsSizeIsTheSizedEntry() throws Exception {
    byte[] content = new byte[3 * 512 + 77];
    for (int k = 0; k < content.length; k++) {
      content[k] = (byte) (k * 31);
    }
    TarEntry dir = entry("d/").type(EntryType.DIRECTORY).mode(0755).build();
    TarEntry file = entry("d/layer.tar").mode(0644).size(content.length).build();
    TarEntry after = entry("after").size(1).build();
    byte[] want =
        write(
            List.of(
                new Item(dir, new byte[0]),
                new Item(file, content),
                new Item(after, new byte[] {'x'})));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out);
    w.write(dir, new byte[0]);
    long at = w.putOpenEntry(entry("d/layer.tar").mode(0644).build());
    assertThrows(IOException.class, () -> w.putEntry(after), "the open entry must be closed");
    w.write(content, 0, 100);
    w.write(content, 100, content.length - 100);
    assertEquals(content.length, w.closeOpenEntry());
    w.write(after, new byte[] {'x'});
    w.finish();
    byte[] got = out.toByteArray();
    assertEquals(512, at);
    System.arraycopy(w.patchedHeader(content.length), 0, got, (int) at, 512);
    assertArrayEquals(want, got);
  }

  @Test
  void anOpenEntryOver8GiBGetsABase256SizeThatReadersRead() throws Exception {
    TarWriter w = new TarWriter(new ByteArrayOutputStream());
    w.putOpenEntry(entry("big").mode(0644).build());
    w.closeOpenEntry();
    long size = 9L << 30;
    byte[] h = w.patchedHeader(size);
    assertEquals(0x80, h[124] & 0xff, "GNU base-256 marker");
    assertEquals(size, new TarArchiveEntry(h).getSize(), "commons-compress");
    byte[] tar = Arrays.copyOf(h, 512 * 3);
    TarEntry e = new TarReader(new ByteArrayInputStream(tar)).next();
    assertEquals(size, e.size(), "our reader");
    assertEquals("big", e.name());
  }

  @Test
  void onlyAnEntryWithoutPaxHeadersCanBeOpen() throws Exception {
    TarWriter w = new TarWriter(new ByteArrayOutputStream());
    assertThrows(
        IllegalArgumentException.class,
        () -> w.putOpenEntry(entry("caf\u00e9/layer.tar").build()),
        "a non-ASCII name needs a PAX path");
    assertThrows(
        IllegalArgumentException.class,
        () -> w.putOpenEntry(entry("d").type(EntryType.DIRECTORY).build()));
    assertThrows(IllegalStateException.class, w::closeOpenEntry);
  }
}
