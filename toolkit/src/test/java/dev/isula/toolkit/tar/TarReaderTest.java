package dev.isula.toolkit.tar;

import static dev.isula.toolkit.tar.RawTar.GNU;
import static dev.isula.toolkit.tar.RawTar.USTAR;
import static dev.isula.toolkit.tar.RawTar.base256;
import static dev.isula.toolkit.tar.RawTar.checksum;
import static dev.isula.toolkit.tar.RawTar.header;
import static dev.isula.toolkit.tar.RawTar.octal;
import static dev.isula.toolkit.tar.RawTar.pax;
import static dev.isula.toolkit.tar.RawTar.put;
import static dev.isula.toolkit.tar.RawTar.raw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.testing.TarBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TarReaderTest {
  private static TarReader reader(byte[] tar) {
    return new TarReader(new ByteArrayInputStream(tar));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Reads one entry and its content, then expects the end of the archive. */
  private static TarEntry only(byte[] tar, String expectedContent) throws Exception {
    TarReader r = reader(tar);
    TarEntry e = r.next();
    assertEquals(expectedContent, new String(r.content().readAllBytes(), StandardCharsets.UTF_8));
    assertNull(r.next());
    return e;
  }

  // ---- basic reading ----

  @Test
  void readsEntriesContentsAndOffsets() throws Exception {
    byte[] tar = TarBuilder.tar().file("a", "hello").dir("d").file("d/b", "x".repeat(700)).build();
    TarReader r = reader(tar);

    TarEntry a = r.next();
    assertEquals("a", a.name());
    assertEquals(512, r.dataOffset());
    assertEquals(5, a.size());
    assertEquals("hello", new String(r.content().readAllBytes(), StandardCharsets.UTF_8));
    assertEquals(517, r.position(), "header plus the content read so far");
    assertEquals(a, r.current());

    TarEntry d = r.next();
    assertEquals("d/", d.name());
    assertEquals(EntryType.DIRECTORY, d.type());
    assertEquals(-1, r.content().read(), "directories have no content");

    TarEntry b = r.next(); // content of 'a' read, 'd' empty; 'b' is skipped without reading
    assertEquals("d/b", b.name());
    assertEquals(2048, r.dataOffset());
    assertEquals(
        "x".repeat(700),
        new String(
            Arrays.copyOfRange(tar, (int) r.dataOffset(), (int) r.dataOffset() + 700),
            StandardCharsets.UTF_8),
        "dataOffset locates the content in the stream");

    assertNull(r.next());
    assertNull(r.next(), "stays at the end");
    assertNull(r.current());
  }

  @Test
  void unreadContentIsSkippedAndPartialReadsWork() throws Exception {
    byte[] tar = TarBuilder.tar().file("big", "0123456789".repeat(1000)).file("next", "n").build();
    TarReader r = reader(tar);
    r.next();
    InputStream c = r.content();
    byte[] first = new byte[4];
    assertEquals(4, c.read(first));
    assertEquals("0123", new String(first, StandardCharsets.US_ASCII));
    assertEquals('4', c.read());
    assertEquals(100, c.skip(100));
    assertEquals('5', c.read());

    assertEquals("next", r.next().name());
    assertEquals("n", new String(r.content().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void dataAfterTheEndMarkerIsIgnored() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(TarBuilder.tar().file("a", "a").build());
    b.writeBytes(utf8("trailing garbage that is not a header"));

    TarReader r = reader(b.toByteArray());

    assertEquals("a", r.next().name());
    assertNull(r.next());
  }

  @Test
  void readsWithoutSkipSupport() throws Exception {
    byte[] tar = TarBuilder.tar().file("a", "x".repeat(5000)).file("b", "b").build();
    InputStream noSkip =
        new FilterInputStream(new ByteArrayInputStream(tar)) {
          @Override
          public long skip(long n) {
            return 0;
          }
        };
    TarReader r = new TarReader(noSkip);

    assertEquals("a", r.next().name());
    assertEquals("b", r.next().name());
    assertEquals("b", new String(r.content().readAllBytes(), StandardCharsets.UTF_8));
    assertNull(r.next());
  }

  // ---- ustar, v7 and GNU forms ----

  @Test
  void ustarPrefixIsJoinedToTheName() throws Exception {
    byte[] h = header("file.txt", '0', 1, USTAR);
    put(h, 345, utf8("some/long/prefix"));
    byte[] tar = raw().block(checksum(h)).data(new byte[] {'z'}).end().bytes();

    assertEquals("some/long/prefix/file.txt", only(tar, "z").name());
  }

  @Test
  void v7DirectoryIsRecognisedByItsTrailingSlash() throws Exception {
    byte[] h = header("olddir/", '\0', 0, "");
    byte[] tar = raw().block(checksum(h)).end().bytes();

    TarEntry e = only(tar, "");

    assertEquals(EntryType.DIRECTORY, e.type());
    assertEquals("", e.uname(), "v7 headers have no owner names");
  }

  @Test
  void typeFlagsMapToEntryTypes() throws Exception {
    char[] flags = {'0', '\0', '7', '1', '2', '3', '4', '5', 'D', '6'};
    EntryType[] types = {
      EntryType.FILE,
      EntryType.FILE,
      EntryType.FILE,
      EntryType.HARDLINK,
      EntryType.SYMLINK,
      EntryType.CHAR_DEVICE,
      EntryType.BLOCK_DEVICE,
      EntryType.DIRECTORY,
      EntryType.DIRECTORY,
      EntryType.FIFO
    };
    for (int i = 0; i < flags.length; i++) {
      byte[] tar = raw().block(checksum(header("e", flags[i], 0, USTAR))).end().bytes();
      assertEquals(types[i], only(tar, "").type(), "flag '" + flags[i] + "'");
    }
  }

  @Test
  void gnuLongNameAndLongLinkAreApplied() throws Exception {
    String longName = "dir/" + "n".repeat(300);
    String longLink = "target/" + "t".repeat(250);
    byte[] h = header("truncated-name", '2', 0, GNU);
    put(h, 157, utf8("truncated-link"));
    put(h, 265, utf8("gnuuser"));
    byte[] tar =
        raw()
            .extended('L', utf8(longName + "\0"))
            .extended('K', utf8(longLink + "\0"))
            .block(checksum(h))
            .file("plain", "p")
            .end()
            .bytes();
    TarReader r = reader(tar);

    TarEntry e = r.next();
    assertEquals(longName, e.name());
    assertEquals(longLink, e.linkName());
    assertEquals(EntryType.SYMLINK, e.type());
    assertEquals("gnuuser", e.uname(), "GNU headers carry owner names");
    TarEntry plain = r.next();
    assertEquals("plain", plain.name(), "the long name applies to one entry only");
    assertEquals("", plain.linkName());
    assertNull(r.next());
  }

  @Test
  void gnuLongNameWithoutTrailingNul() throws Exception {
    String longName = "h".repeat(150);
    byte[] h = header("x", '0', 3, GNU);
    byte[] tar =
        raw().extended('L', utf8(longName)).block(checksum(h)).data(utf8("abc")).end().bytes();

    assertEquals(longName, only(tar, "abc").name());
  }

  @Test
  void base256NumbersAreDecoded() throws Exception {
    byte[] h = header("big", '0', 0, GNU);
    base256(h, 108, 8, 5_000_000_000L); // uid
    base256(h, 116, 8, 3_000_000L); // gid
    base256(h, 124, 12, 3); // size
    base256(h, 136, 12, -1_000_000L); // mtime before 1970
    byte[] tar = raw().block(checksum(h)).data(utf8("xyz")).end().bytes();

    TarEntry e = only(tar, "xyz");

    assertEquals(5_000_000_000L, e.uid());
    assertEquals(3_000_000L, e.gid());
    assertEquals(3, e.size());
    assertEquals(-1_000_000L, e.mtimeSeconds());
  }

  @Test
  void base256ValueTooLargeForALongIsRejected() {
    byte[] h = header("big", '0', 0, GNU);
    base256(h, 136, 12, 1);
    h[137] = 1; // a bit above the 64 bits a long holds
    byte[] tar = raw().block(checksum(h)).end().bytes();

    assertThrows(InvalidImageException.class, () -> reader(tar).next());
  }

  @Test
  void octalFieldsMayBeSpaceOrNulPadded() throws Exception {
    byte[] h = header("padded", '0', 0, USTAR);
    put(h, 100, utf8("  755 \0\0"));
    put(h, 108, utf8("   1750 "));
    put(h, 116, new byte[8]); // empty: zero
    byte[] tar = raw().block(checksum(h)).end().bytes();

    TarEntry e = only(tar, "");

    assertEquals(0755, e.mode());
    assertEquals(01750, e.uid());
    assertEquals(0, e.gid());
  }

  @Test
  void badOctalDigitIsRejected() {
    byte[] h = header("bad", '0', 0, USTAR);
    put(h, 108, utf8("0000089\0"));
    byte[] tar = raw().block(checksum(h)).end().bytes();

    InvalidImageException e = assertThrows(InvalidImageException.class, () -> reader(tar).next());
    assertTrue(e.getMessage().contains("uid"), e.getMessage());
  }

  @Test
  void signedHeaderChecksumIsAccepted() throws Exception {
    // old writers summed the header as signed bytes; a name byte >= 0x80 makes the difference
    byte[] h = header("caf\u00e9", '0', 0, USTAR);
    Arrays.fill(h, 148, 156, (byte) ' ');
    long signed = 0;
    for (byte b : h) {
      signed += b;
    }
    octal(h, 148, 7, signed);
    byte[] tar = raw().block(h).end().bytes();

    assertEquals("caf\u00e9", only(tar, "").name());
  }

  // ---- PAX ----

  @Test
  void paxRecordsOverrideTheUstarFields() throws Exception {
    byte[] records =
        pax(
            "path=pax/" + "p".repeat(200),
            "linkpath=" + "l".repeat(180),
            "uid=70000000",
            "gid=2097152",
            "uname=" + "u".repeat(40),
            "gname=gr\u00fcn",
            "mtime=1600000000.000000001",
            "comment=ignored");
    byte[] h = header("short", '2', 0, USTAR);
    byte[] tar = raw().extended('x', records).block(checksum(h)).file("after", "a").end().bytes();
    TarReader r = reader(tar);

    TarEntry e = r.next();
    assertEquals("pax/" + "p".repeat(200), e.name());
    assertEquals("l".repeat(180), e.linkName());
    assertEquals(70_000_000L, e.uid());
    assertEquals(2_097_152L, e.gid());
    assertEquals("u".repeat(40), e.uname());
    assertEquals("gr\u00fcn", e.gname());
    assertEquals(1_600_000_000L, e.mtimeSeconds());
    assertEquals(1, e.mtimeNanos());
    TarEntry after = r.next();
    assertEquals("after", after.name(), "an 'x' header applies to one entry only");
    assertEquals(0, after.uid());
    assertEquals(0, after.mtimeNanos());
  }

  @Test
  void paxTimesWithFractionsAndSigns() throws Exception {
    String[] texts = {"12.5", "-1.25", "-0.5", "-7", ".5", "3.123456789999"};
    long[] secs = {12, -2, -1, -7, 0, 3};
    int[] nanos = {500_000_000, 750_000_000, 500_000_000, 0, 500_000_000, 123_456_789};
    for (int i = 0; i < texts.length; i++) {
      byte[] tar =
          raw()
              .extended('x', pax("mtime=" + texts[i]))
              .block(checksum(header("t", '0', 0, USTAR)))
              .end()
              .bytes();
      TarEntry e = only(tar, "");
      assertEquals(secs[i], e.mtimeSeconds(), texts[i]);
      assertEquals(nanos[i], e.mtimeNanos(), texts[i]);
    }
  }

  @Test
  void badPaxValuesAreRejected() {
    for (String record : List.of("mtime=12.x", "mtime=abc", "uid=-1", "uid=1e3", "size=oops")) {
      byte[] tar =
          raw()
              .extended('x', pax(record))
              .block(checksum(header("t", '0', 0, USTAR)))
              .end()
              .bytes();
      assertThrows(InvalidImageException.class, () -> reader(tar).next(), record);
    }
  }

  @Test
  void malformedPaxRecordsAreRejected() {
    List<byte[]> bad =
        List.of(
            utf8("10 a=bcdef\n"), // length says 10, record is 11
            utf8("x a=b\n"),
            utf8("6 ab\n\n"),
            utf8("7 a=bc."),
            utf8("99 a=b\n"));
    for (byte[] records : bad) {
      byte[] tar =
          raw().extended('x', records).block(checksum(header("t", '0', 0, USTAR))).end().bytes();
      assertThrows(
          InvalidImageException.class,
          () -> reader(tar).next(),
          new String(records, StandardCharsets.UTF_8));
    }
  }

  @Test
  void paxValuesMayHoldNewlinesAndNulBytes() throws Exception {
    byte[] value = {0x01, 0x00, '\n', (byte) 0xff, '=', ' ', '9'};
    ByteArrayOutputStream kv = new ByteArrayOutputStream();
    kv.writeBytes(utf8("SCHILY.xattr.security.capability="));
    kv.writeBytes(value);
    byte[] tar =
        raw()
            .extended('x', RawTar.record(kv.toByteArray()))
            .block(checksum(header("cap", '0', 0, USTAR)))
            .end()
            .bytes();

    TarEntry e = only(tar, "");

    assertArrayEquals(value, e.xattrs().get("security.capability"));
  }

  @Test
  void libarchiveXattrsAreDecoded() throws Exception {
    byte[] value = {1, 2, 3, (byte) 0xfe};
    String record = "LIBARCHIVE.xattr.user.we%3Dird=" + Base64.getEncoder().encodeToString(value);
    byte[] tar =
        raw().extended('x', pax(record)).block(checksum(header("f", '0', 0, USTAR))).end().bytes();

    assertArrayEquals(value, only(tar, "").xattrs().get("user.we=ird"));
  }

  @Test
  void anEmptyXattrValueIsNoAttributeAsGoReadsIt() throws Exception {
    // GNU tar and bsdtar write an empty attribute as "SCHILY.xattr.NAME=" (bsdtar adds the
    // LIBARCHIVE form); POSIX says an empty value deletes the keyword, and Go (umoci, docker)
    // reads no attribute. A non-empty neighbour stays.
    byte[] tar =
        raw()
            .extended(
                'x',
                pax(
                    "SCHILY.xattr.user.empty=",
                    "LIBARCHIVE.xattr.user.empty=",
                    "SCHILY.xattr.user.k=v"))
            .block(checksum(header("f", '0', 0, USTAR)))
            .end()
            .bytes();

    assertEquals(java.util.Set.of("user.k"), only(tar, "").xattrs().keySet());
  }

  @Test
  void libarchiveXattrWithBadBase64IsRejected() {
    byte[] tar =
        raw()
            .extended('x', pax("LIBARCHIVE.xattr.user.x=***"))
            .block(checksum(header("f", '0', 0, USTAR)))
            .end()
            .bytes();

    assertThrows(InvalidImageException.class, () -> reader(tar).next());
  }

  @Test
  void globalPaxHeadersAreCheckedButChangeNoEntry() throws Exception {
    // Go's archive/tar and docker ignore 'g' headers; POSIX would apply them. We ignore them, so
    // a global header can never rename, hide or move an entry.
    byte[] tar =
        raw()
            .file("before", "b")
            .extended('g', pax("uname=globaluser", "mtime=42.5", "path=../../etc/passwd"))
            .file("first", "1")
            .extended('x', pax("uname=local"))
            .file("second", "2")
            .end()
            .bytes();
    TarReader r = reader(tar);

    assertEquals("", r.next().uname());
    TarEntry first = r.next();
    assertEquals("first", first.name());
    assertEquals("", first.uname());
    assertEquals(1_600_000_000L, first.mtimeSeconds());
    TarEntry second = r.next();
    assertEquals("second", second.name());
    assertEquals("local", second.uname());
    assertNull(r.next());
  }

  @Test
  void malformedGlobalHeaderIsRejected() {
    byte[] tar = raw().extended('g', utf8("5 a\n")).file("a", "a").end().bytes();

    assertThrows(InvalidImageException.class, () -> reader(tar).next());
  }

  @Test
  void copyLeavesGlobalHeadersOut() throws Exception {
    byte[] withGlobal =
        raw()
            .file("a", "a")
            .extended('g', pax("comment=made by a python script"))
            .extended('x', pax("uname=someone"))
            .file("b", "b")
            .end()
            .bytes();
    byte[] without =
        raw().file("a", "a").extended('x', pax("uname=someone")).file("b", "b").end().bytes();
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    InputStream in = new ByteArrayInputStream(withGlobal);
    TarReader r = new TarReader(in);
    r.copyTo(copy);
    while (r.next() != null) {
      // read it all
    }
    in.transferTo(copy); // what follows the first zero block is the caller's to copy

    assertArrayEquals(without, copy.toByteArray());
  }

  @Test
  void paxSizeOverridesTheUstarSizeField() throws Exception {
    byte[] h = header("f", '0', 0, USTAR); // ustar size 0, as writers do for huge files
    byte[] tar =
        raw().extended('x', pax("size=5")).block(checksum(h)).data(utf8("12345")).end().bytes();

    TarEntry e = only(tar, "12345");

    assertEquals(5, e.size());
  }

  @Test
  void nulByteInPaxPathIsRejected() {
    ByteArrayOutputStream kv = new ByteArrayOutputStream();
    kv.writeBytes(utf8("path=innocent"));
    kv.write(0);
    kv.writeBytes(utf8("/../../etc/passwd"));
    byte[] tar =
        raw()
            .extended('x', RawTar.record(kv.toByteArray()))
            .block(checksum(header("f", '0', 0, USTAR)))
            .end()
            .bytes();

    InvalidImageException e = assertThrows(InvalidImageException.class, () -> reader(tar).next());
    assertTrue(e.getMessage().contains("NUL"), e.getMessage());
  }

  @Test
  void nulByteInPaxLinkpathIsRejected() {
    ByteArrayOutputStream kv = new ByteArrayOutputStream();
    kv.writeBytes(utf8("linkpath=a"));
    kv.write(0);
    kv.writeBytes(utf8("b"));
    byte[] tar =
        raw()
            .extended('x', RawTar.record(kv.toByteArray()))
            .block(checksum(header("l", '2', 0, USTAR)))
            .end()
            .bytes();

    assertThrows(InvalidImageException.class, () -> reader(tar).next());
  }

  @Test
  void extendedHeaderOverOneMebibyteIsRejectedBeforeReadingIt() {
    for (char type : new char[] {'x', 'g', 'L', 'K'}) {
      byte[] h = header("big", type, TarReader.MAX_EXTENDED_HEADER + 1, USTAR);
      byte[] tar = raw().block(checksum(h)).end().bytes(); // no payload follows at all

      InvalidImageException e =
          assertThrows(InvalidImageException.class, () -> reader(tar).next(), "type " + type);
      assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }
  }

  @Test
  void extendedHeaderOfExactlyTheLimitIsAccepted() throws Exception {
    int limit = TarReader.MAX_EXTENDED_HEADER;
    String prefix = limit + " comment=";
    byte[] record = new byte[limit];
    Arrays.fill(record, (byte) 'c');
    put(record, 0, utf8(prefix));
    record[limit - 1] = '\n';
    byte[] tar =
        raw().extended('x', record).block(checksum(header("ok", '0', 0, USTAR))).end().bytes();

    assertEquals("ok", only(tar, "").name());
  }

  // ---- broken and unsupported input ----

  @Test
  void headerChecksumMismatchIsRejected() {
    byte[] tar = TarBuilder.tar().file("abc", "x").build();
    tar[1] = 'c'; // "acc": the stored checksum no longer matches

    InvalidImageException e = assertThrows(InvalidImageException.class, () -> reader(tar).next());
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
  }

  @Test
  void nonTarInputIsRejected() {
    byte[] junk = new byte[2048];
    Arrays.fill(junk, (byte) 'j');

    assertThrows(InvalidImageException.class, () -> reader(junk).next());
  }

  @Test
  void missingEndOfArchiveMarkerIsAcceptedAtAnEntryBoundary() throws Exception {
    byte[] tar = TarBuilder.tar().file("a", "a").file("b", "bb").buildWithoutEnd();
    TarReader r = reader(tar);
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    r.copyTo(copy);

    assertEquals("a", r.next().name());
    assertEquals("b", r.next().name());
    assertEquals(false, r.endMarkerMissing());
    assertNull(r.next());
    assertTrue(r.endMarkerMissing());
    assertArrayEquals(TarBuilder.tar().file("a", "a").file("b", "bb").build(), copy.toByteArray());
  }

  @Test
  void aShortRunOfZerosAtTheEndIsTakenAsTheEndMarkerAsGnuTarDoes() throws Exception {
    byte[] noEnd = TarBuilder.tar().file("a", "a").buildWithoutEnd();
    byte[] tar = Arrays.copyOf(noEnd, noEnd.length + 300);
    TarReader r = reader(tar);
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    r.copyTo(copy);

    assertEquals("a", r.next().name());
    assertNull(r.next());
    assertTrue(r.endMarkerMissing());
    assertArrayEquals(TarBuilder.tar().file("a", "a").build(), copy.toByteArray());
    byte[] junk = tar.clone();
    junk[junk.length - 1] = 1;
    TarReader j = reader(junk);
    assertEquals("a", j.next().name());
    assertThrows(EOFException.class, j::next);
  }

  @Test
  void archiveWithOneZeroBlockHasItsEndMarker() throws Exception {
    byte[] whole = TarBuilder.tar().file("a", "a").build();
    TarReader r = reader(Arrays.copyOf(whole, whole.length - 512));

    assertEquals("a", r.next().name());
    assertNull(r.next());
    assertEquals(false, r.endMarkerMissing());
  }

  @Test
  void emptyStreamIsNotAnArchive() {
    assertThrows(InvalidImageException.class, () -> reader(new byte[0]).next());
  }

  @Test
  void extendedHeaderWithoutItsEntryIsRejected() {
    byte[] tar = raw().extended('x', pax("path=a")).bytes();

    InvalidImageException e = assertThrows(InvalidImageException.class, () -> reader(tar).next());
    assertTrue(e.getMessage().contains("extended header"), e.getMessage());
  }

  @Test
  void truncatedHeaderIsAnEofError() {
    byte[] tar = Arrays.copyOf(TarBuilder.tar().file("a", "a").build(), 300);

    assertThrows(EOFException.class, () -> reader(tar).next());
  }

  @Test
  void truncatedContentIsAnEofError() throws Exception {
    byte[] tar = Arrays.copyOf(TarBuilder.tar().file("a", "x".repeat(1000)).build(), 512 + 600);
    TarReader r = reader(tar);
    r.next();

    assertThrows(EOFException.class, () -> r.content().readAllBytes());
  }

  @Test
  void truncatedContentIsAnEofErrorWhenSkipped() throws Exception {
    byte[] tar = Arrays.copyOf(TarBuilder.tar().file("a", "x".repeat(1000)).build(), 512 + 600);
    TarReader r = reader(tar);
    r.next();

    assertThrows(EOFException.class, r::next);
  }

  @Test
  void truncatedExtendedHeaderIsRejected() {
    byte[] full = raw().extended('x', pax("path=" + "p".repeat(800))).bytes();
    byte[] tar = Arrays.copyOf(full, 512 + 300);

    assertThrows(InvalidImageException.class, () -> reader(tar).next());
  }

  @ParameterizedTest(name = "type {0}")
  @ValueSource(chars = {'V', 'M', 'N', 'Z', 'A'})
  void sparseVolumeAndUnknownTypesAreUnsupported(char type) {
    byte[] tar = raw().block(checksum(header("odd", type, 0, GNU))).end().bytes();

    UnsupportedFormatException e =
        assertThrows(UnsupportedFormatException.class, () -> reader(tar).next());
    assertTrue(e.getMessage().contains("'odd'"), e.getMessage());
  }

  @Test
  void unknownPaxSparseVersionIsUnsupported() {
    byte[] tar =
        raw()
            .extended('x', pax("GNU.sparse.major=2", "GNU.sparse.minor=0", "GNU.sparse.name=f"))
            .block(checksum(header("GNUSparseFile.0/f", '0', 0, USTAR)))
            .end()
            .bytes();

    UnsupportedFormatException e =
        assertThrows(UnsupportedFormatException.class, () -> reader(tar).next());
    assertTrue(e.getMessage().contains("'f'") && e.getMessage().contains("2.0"), e.getMessage());
  }

  @Test
  void negativeSizeIsRejected() {
    byte[] h = header("neg", '0', 0, GNU);
    base256(h, 124, 12, -5);
    byte[] tar = raw().block(checksum(h)).end().bytes();

    assertThrows(InvalidImageException.class, () -> reader(tar).next());
  }

  // ---- printable ----

  @Test
  void printableEscapesControlCharactersAndRawBytes() {
    assertEquals("a\\x0ab\\x1b", TarReader.printable("a\nb\u001b"));
    assertEquals("caf\\xe9", TarReader.printable("caf\uDCE9"));
    assertEquals("na\u00efve", TarReader.printable("na\u00efve"));
    String longName = "x".repeat(500);
    assertEquals("x".repeat(200) + "...", TarReader.printable(longName));
  }

  // ---- interoperability: what commons-compress writes, TarReader reads ----

  @Test
  void readsWhatCommonsCompressWrites() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    String longName = "deep/" + "n".repeat(150) + "/" + "f".repeat(120);
    String longLink = "/" + "l".repeat(130);
    Instant mtime = Instant.ofEpochSecond(1_600_000_000L);
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);

      TarArchiveEntry dir = new TarArchiveEntry("etc/");
      dir.setMode(040750);
      dir.setModTime(FileTime.from(mtime));
      out.putArchiveEntry(dir);
      out.closeArchiveEntry();

      byte[] content = utf8("root:x:0:0:root:/root:/bin/sh\n");
      TarArchiveEntry file = new TarArchiveEntry("etc/passwd");
      file.setMode(0100644);
      file.setSize(content.length);
      file.setUserId(1000);
      file.setGroupId(1001);
      file.setUserName("alice");
      file.setGroupName("staff");
      file.setModTime(FileTime.from(mtime));
      out.putArchiveEntry(file);
      out.write(content);
      out.closeArchiveEntry();

      TarArchiveEntry setuid = new TarArchiveEntry("su");
      setuid.setMode(0104755);
      setuid.setModTime(FileTime.from(mtime));
      out.putArchiveEntry(setuid);
      out.closeArchiveEntry();

      TarArchiveEntry sym = new TarArchiveEntry("link", TarConstants.LF_SYMLINK);
      sym.setLinkName(longLink);
      sym.setModTime(FileTime.from(mtime));
      out.putArchiveEntry(sym);
      out.closeArchiveEntry();

      TarArchiveEntry hard = new TarArchiveEntry("passwd.hard", TarConstants.LF_LINK);
      hard.setLinkName("etc/passwd");
      hard.setModTime(FileTime.from(mtime));
      out.putArchiveEntry(hard);
      out.closeArchiveEntry();

      TarArchiveEntry chr = new TarArchiveEntry("null", TarConstants.LF_CHR);
      chr.setDevMajor(1);
      chr.setDevMinor(3);
      chr.setMode(0020666);
      chr.setModTime(FileTime.from(mtime));
      out.putArchiveEntry(chr);
      out.closeArchiveEntry();

      TarArchiveEntry fifo = new TarArchiveEntry("fifo", TarConstants.LF_FIFO);
      fifo.setModTime(FileTime.from(mtime));
      out.putArchiveEntry(fifo);
      out.closeArchiveEntry();

      byte[] longContent = utf8("long");
      TarArchiveEntry lng = new TarArchiveEntry(longName);
      lng.setSize(longContent.length);
      lng.setUserId(3_000_000);
      lng.setModTime(FileTime.from(mtime));
      lng.addPaxHeader("SCHILY.xattr.user.comment", "hello");
      out.putArchiveEntry(lng);
      out.write(longContent);
      out.closeArchiveEntry();
    }
    TarReader r = reader(bytes.toByteArray());

    TarEntry dir = r.next();
    assertEquals("etc/", dir.name());
    assertEquals(EntryType.DIRECTORY, dir.type());
    assertEquals(0750, dir.mode());
    assertEquals(1_600_000_000L, dir.mtimeSeconds());

    TarEntry file = r.next();
    assertEquals("etc/passwd", file.name());
    assertEquals(EntryType.FILE, file.type());
    assertEquals(0644, file.mode());
    assertEquals(1000, file.uid());
    assertEquals(1001, file.gid());
    assertEquals("alice", file.uname());
    assertEquals("staff", file.gname());
    assertEquals(
        "root:x:0:0:root:/root:/bin/sh\n",
        new String(r.content().readAllBytes(), StandardCharsets.UTF_8));

    assertEquals(04755, r.next().mode());

    TarEntry sym = r.next();
    assertEquals(EntryType.SYMLINK, sym.type());
    assertEquals(longLink, sym.linkName());

    TarEntry hard = r.next();
    assertEquals(EntryType.HARDLINK, hard.type());
    assertEquals("etc/passwd", hard.linkName());

    TarEntry chr = r.next();
    assertEquals(EntryType.CHAR_DEVICE, chr.type());
    assertEquals(1, chr.devMajor());
    assertEquals(3, chr.devMinor());
    assertEquals(0666, chr.mode());

    assertEquals(EntryType.FIFO, r.next().type());

    TarEntry lng = r.next();
    assertEquals(longName, lng.name());
    assertEquals(3_000_000, lng.uid());
    assertArrayEquals(utf8("hello"), lng.xattrs().get("user.comment"));
    assertEquals("long", new String(r.content().readAllBytes(), StandardCharsets.UTF_8));

    assertNull(r.next());
  }

  @Test
  void readsCommonsCompressGnuLongNames() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    String longName = "g".repeat(180);
    String longLink = "k".repeat(170);
    try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
      TarArchiveEntry sym = new TarArchiveEntry(longName, TarConstants.LF_SYMLINK);
      sym.setLinkName(longLink);
      out.putArchiveEntry(sym);
      out.closeArchiveEntry();
    }

    TarEntry e = only(bytes.toByteArray(), "");

    assertEquals(longName, e.name());
    assertEquals(longLink, e.linkName());
  }

  @Test
  void contentStreamCloseLeavesTheArchiveReadable() throws Exception {
    byte[] tar = TarBuilder.tar().file("a", "aaa").file("b", "bbb").build();
    TarReader r = reader(tar);
    r.next();
    try (InputStream c = r.content()) {
      assertEquals('a', c.read());
    }

    assertEquals("b", r.next().name());
    assertEquals("bbb", new String(r.content().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void contentAvailableNeverExceedsTheEntry() throws Exception {
    byte[] tar = TarBuilder.tar().file("a", "abc").file("b", "b".repeat(4000)).build();
    TarReader r = reader(tar);
    r.next();

    assertTrue(r.content().available() <= 3);
  }

  /** Owner names are shared from one entry to the next when equal; every change must show. */
  @Test
  void ownerNamesFollowEveryEntry() throws Exception {
    String[][] owners = {
      {"root", "root"},
      {"root", "root"},
      {"rootx", "root"},
      {"bin", "rootx"},
      {"", ""},
      {"r\u00e9", "r\u00e9"},
      {"r\u00e9", "re"},
      {"root", "root"}
    };
    RawTar t = raw();
    for (int i = 0; i < owners.length; i++) {
      byte[] h = header("f" + i, '0', 0, USTAR);
      put(h, 265, owners[i][0].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      put(h, 297, owners[i][1].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      t.block(checksum(h));
    }
    TarReader r = reader(t.end().bytes());
    for (String[] o : owners) {
      TarEntry e = r.next();
      String u = RawNames.decode(o[0].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      String g = RawNames.decode(o[1].getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      assertEquals(u + ":" + g, e.uname() + ":" + e.gname(), e.name());
    }
    assertNull(r.next());
  }
}
