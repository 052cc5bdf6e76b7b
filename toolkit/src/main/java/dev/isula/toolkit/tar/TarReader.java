package dev.isula.toolkit.tar;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.io.ExpansionLimit;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A streaming tar reader for v7, ustar, PAX, GNU and star archives that keeps PAX values as raw
 * bytes (so binary extended attributes such as {@code security.capability} survive) and reports the
 * stream offset of each entry's content.
 *
 * <p>What it does with each dialect and feature is tabled in {@code docs/formats.md}. In short:
 *
 * <ul>
 *   <li>Names are returned as written (not normalised): see {@link EntryNames}. The ustar {@code
 *       prefix} is joined to the name whenever the magic is {@code "ustar\0"}, however the numeric
 *       fields are encoded (octal or base-256); GNU headers ({@code "ustar \0"}) have no prefix
 *       (those bytes are times and the sparse map there), nor do v7 headers.
 *   <li>GNU long names and link targets ({@code L}/{@code K}) end at their first NUL, as in GNU tar
 *       and Go. A PAX {@code path} or {@code linkpath} holding a NUL is refused.
 *   <li>Sparse files (GNU old {@code S} with extension blocks, PAX 0.0, 0.1 and 1.0) are expanded:
 *       the entry is a regular file of its real size under its real name ({@code GNU.sparse.name},
 *       never {@code GNUSparseFile.N/...}), and {@link #content()} yields the holes as zeros. Maps
 *       that overlap, go backwards, reach past the real size, do not add up to the stored data or
 *       describe a file larger than {@link ExpansionLimit#maxBytes()} are refused.
 *   <li>PAX global headers ({@code g}) are checked for well-formedness and otherwise ignored, as
 *       Go's archive/tar and docker do: they never rename, hide or change a later entry.
 *   <li>The archive ends at the first all-zero block. An archive that ends cleanly at an entry
 *       boundary without one is accepted ({@link #endMarkerMissing()} says so); a stream that ends
 *       inside a header, an extended header or an entry's data is an error.
 *   <li>Multi-volume archives and unknown entry types are refused with an error naming the entry.
 * </ul>
 *
 * <p>With {@link #copyTo(OutputStream)} the reader also writes a cleaned copy of what it reads: the
 * same bytes, except that global headers are left out, sparse entries are written as plain files
 * with their holes filled, the headers of an entry with {@code LIBARCHIVE.*} PAX records (which GNU
 * tar warns about) are written afresh, and a missing end-of-archive marker is added.
 */
public final class TarReader {
  static final int BLOCK = 512;

  /** Largest PAX or GNU long-name header accepted; bigger ones are hostile or broken. */
  public static final int MAX_EXTENDED_HEADER = 1 << 20;

  /** Most data segments a sparse map may list. */
  public static final int MAX_SPARSE_SEGMENTS = 1 << 20;

  private static final byte[] ZEROS = new byte[BLOCK * 2];

  private final InputStream in;
  private final byte[] header = new byte[BLOCK];
  private byte[] skipBuffer; // reused when the stream cannot skip
  private long position;
  private long remaining; // stored (raw) content bytes of the current entry not yet read
  private long padding;
  private long dataOffset;
  private TarEntry current;
  private boolean ended;
  private boolean endMarkerMissing;
  private final ContentStream content = new ContentStream();

  // sparse expansion of the current entry: segments as (offset, length) pairs
  private long[] sparseMap;
  private int sparseSegment;
  private long logical; // expanded bytes returned so far
  private long logicalSize;

  // copyTo: raw bytes go to `copy` (the sink, the pending header chain, or nowhere)
  private OutputStream sink;
  private OutputStream copy;
  private final Pending pending = new Pending();

  /** Reads from {@code in}, which the caller owns and should buffer. */
  public TarReader(InputStream in) {
    this.in = in;
  }

  /**
   * Makes the reader write a cleaned copy of everything it reads to {@code out} (see the class
   * comment); call before the first {@link #next()}. Bytes after the end-of-archive block are not
   * read, so the caller copies those itself if it wants them.
   */
  public void copyTo(OutputStream out) {
    if (position != 0) {
      throw new IllegalStateException("copyTo must be called before reading");
    }
    sink = out;
    copy = out;
  }

  /** True once the archive has ended without its end-of-archive marker. */
  public boolean endMarkerMissing() {
    return endMarkerMissing;
  }

  /**
   * Advances to the next entry, skipping any unread content of the current one.
   *
   * @return the entry, or null at the end of the archive
   * @throws InvalidImageException if the archive is malformed or truncated
   * @throws UnsupportedFormatException for volumes or unknown entry types
   */
  public TarEntry next() throws IOException, InvalidImageException, UnsupportedFormatException {
    if (ended) {
      return null;
    }
    skipRest();
    sparseMap = null;
    byte[] longName = null;
    byte[] longLink = null;
    Map<String, byte[]> pax = null;
    List<String> sparse00 = null;
    boolean libarchive = false;
    pending.reset();
    copy = sink == null ? null : pending;
    while (true) {
      long headerOffset = position;
      int mark = pending.size();
      if (!readHeaderBlock()) {
        if (longName != null || pax != null || longLink != null) {
          throw new InvalidImageException(
              "tar truncated after an extended header at offset " + headerOffset);
        }
        if (headerOffset == 0) {
          throw new InvalidImageException(
              position == 0 ? "empty input: not a tar archive" : "not a tar archive (all zeros)");
        }
        // ends cleanly at an entry boundary: accepted, as GNU tar and Go do
        ended = true;
        endMarkerMissing = true;
        current = null;
        if (sink != null && position == headerOffset) {
          pending.writeTo(sink);
          sink.write(ZEROS);
        }
        copy = sink;
        return null;
      }
      if (isZeroBlock(header)) {
        ended = true;
        current = null;
        if (sink != null) {
          pending.writeTo(sink);
        }
        copy = sink;
        return null;
      }
      verifyChecksum(headerOffset);
      char flag = (char) (header[156] & 0xff);
      long size = parseNumber(124, 12, "size", headerOffset);
      if (size < 0) {
        throw new InvalidImageException("tar header at offset " + headerOffset + ": negative size");
      }
      switch (flag) {
        case 'x' -> {
          pax = new LinkedHashMap<>();
          sparse00 = new ArrayList<>();
          byte[] records = readExtended(size, headerOffset);
          parsePax(records, pax, sparse00, headerOffset);
          // also the empty ones, which parsePax drops; a value holding it only costs a rewrite
          libarchive |= new String(records, StandardCharsets.ISO_8859_1).contains(" LIBARCHIVE.");
          continue;
        }
        case 'g' -> {
          // checked, then ignored (as Go and docker do) and left out of a copy
          parsePax(readExtended(size, headerOffset), new LinkedHashMap<>(), null, headerOffset);
          pending.truncate(mark);
          continue;
        }
        case 'L' -> {
          longName = cutAtNul(readExtended(size, headerOffset));
          continue;
        }
        case 'K' -> {
          longLink = cutAtNul(readExtended(size, headerOffset));
          continue;
        }
        default -> {
          // an entry header
        }
      }
      // a PAX size overrides the ustar field, which writers leave 0 for sizes of 8 GiB and more
      size = paxNumber(pax, "size", size, "tar entry at offset " + headerOffset);
      byte[] sparseName = isPaxSparse(pax, sparse00) ? pax.get("GNU.sparse.name") : null;
      current = buildEntry(flag, size, longName, longLink, pax, sparseName, headerOffset);
      String describe = "tar entry '" + printable(current.name()) + "'";
      if (flag == 'S') {
        size = readOldGnuSparse(size, describe);
      } else if (pax != null) {
        size = paxSparse(pax, sparse00, size, describe);
      }
      if (sparseMap != null) {
        if (current.type() != EntryType.FILE) {
          throw new InvalidImageException(describe + ": sparse map on an entry that is no file");
        }
        long realSize = logicalSize;
        checkSparseMap(size, describe);
        current = current.toBuilder().size(realSize).build();
        sparseSegment = 0;
        logical = 0;
      }
      dataOffset = position;
      remaining = size;
      padding = (BLOCK - (size % BLOCK)) % BLOCK;
      if (sink != null) {
        if (sparseMap == null && !libarchive) {
          pending.writeTo(sink);
          copy = sink;
        } else if (sparseMap == null) {
          // bsdtar's LIBARCHIVE.* records (its second copy of each xattr, creation times) make
          // GNU tar warn "Ignoring unknown extended header keyword": the headers are written
          // afresh from the entry (xattrs as SCHILY.xattr), the content is copied as it is
          new TarWriter(sink).putEntry(current);
          copy = sink;
        } else {
          // the stored form is replaced by a plain file with its holes written out
          TarWriter w = new TarWriter(sink);
          w.putEntry(current);
          copy = null;
        }
      }
      return current;
    }
  }

  /** The current entry's content (expanded, for sparse files); reads end at its last byte. */
  public InputStream content() {
    return content;
  }

  /**
   * Stream offset of the current entry's first stored content byte. For a sparse entry ({@link
   * #isSparse()}) the stored bytes are only the data segments, so the content must be read through
   * {@link #content()}.
   */
  public long dataOffset() {
    return dataOffset;
  }

  /** True if the current entry was stored sparse, so its content is not a contiguous byte range. */
  public boolean isSparse() {
    return sparseMap != null;
  }

  /** Bytes consumed from the underlying stream so far. */
  public long position() {
    return position;
  }

  /** The current entry, or null before the first / after the last. */
  public TarEntry current() {
    return current;
  }

  // ---- sparse files ----

  /** Reads the GNU old sparse map (header and extension blocks); returns the stored size. */
  private long readOldGnuSparse(long size, String describe)
      throws IOException, InvalidImageException {
    if (!matches(257, "ustar ")) {
      throw new InvalidImageException(describe + ": sparse type 'S' outside a GNU header");
    }
    long off = position - BLOCK;
    List<Long> map = new ArrayList<>();
    readSparseEntries(386, 4, map, off);
    boolean extended = header[482] != 0;
    logicalSize = parseNumber(483, 12, "realsize", off);
    byte[] ext = new byte[BLOCK];
    while (extended) {
      long extOffset = position;
      if (readFully(ext, 0, BLOCK) < BLOCK) {
        throw new EOFException(
            describe + ": tar truncated inside a sparse extension header at offset " + extOffset);
      }
      System.arraycopy(ext, 0, header, 0, BLOCK); // parse it with the same field helpers
      readSparseEntries(0, 21, map, extOffset);
      extended = header[504] != 0;
      if (map.size() / 2 > MAX_SPARSE_SEGMENTS) {
        throw new InvalidImageException(describe + ": sparse map has too many segments");
      }
    }
    sparseMap = toArray(map);
    return size;
  }

  private void readSparseEntries(int start, int count, List<Long> map, long off)
      throws InvalidImageException {
    for (int i = 0; i < count; i++) {
      int at = start + i * 24;
      if (header[at] == 0 && header[at + 12] == 0) {
        break;
      }
      map.add(parseNumber(at, 12, "sparse offset", off));
      map.add(parseNumber(at + 12, 12, "sparse length", off));
    }
  }

  /** Recognises PAX sparse 0.0, 0.1 and 1.0; returns the stored size of the data segments. */
  private long paxSparse(Map<String, byte[]> pax, List<String> sparse00, long size, String d)
      throws IOException, InvalidImageException, UnsupportedFormatException {
    byte[] major = pax.get("GNU.sparse.major");
    byte[] minor = pax.get("GNU.sparse.minor");
    byte[] map01 = pax.get("GNU.sparse.map");
    String version = ascii(major) + "." + ascii(minor);
    if ((major != null || minor != null) && !version.equals("0.0") && !version.equals("0.1")) {
      if (!version.equals("1.0")) {
        throw new UnsupportedFormatException(d + ": unknown sparse format " + printable(version));
      }
      logicalSize = paxNumber(pax, "GNU.sparse.realsize", -1, d);
      if (logicalSize < 0) {
        throw new InvalidImageException(d + ": sparse 1.0 entry without GNU.sparse.realsize");
      }
      long consumed = readSparseMap10(size, d);
      return size - consumed;
    }
    List<String> values;
    if (map01 != null) {
      String text = ascii(map01);
      values = text.isEmpty() ? List.of() : Arrays.asList(text.split(",", -1));
    } else if (!sparse00.isEmpty()) {
      values = sparse00;
    } else {
      return size; // not sparse
    }
    if (values.size() % 2 != 0) {
      throw new InvalidImageException(d + ": sparse map has an odd number of values");
    }
    if (values.size() / 2 > MAX_SPARSE_SEGMENTS) {
      throw new InvalidImageException(d + ": sparse map has too many segments");
    }
    long numBlocks = paxNumber(pax, "GNU.sparse.numblocks", values.size() / 2, d);
    if (numBlocks != values.size() / 2) {
      throw new InvalidImageException(d + ": GNU.sparse.numblocks does not match the sparse map");
    }
    logicalSize = paxNumber(pax, "GNU.sparse.size", -1, d);
    if (logicalSize < 0) {
      throw new InvalidImageException(d + ": sparse entry without GNU.sparse.size");
    }
    long[] m = new long[values.size()];
    for (int i = 0; i < m.length; i++) {
      m[i] = decimal(values.get(i), d);
    }
    sparseMap = m;
    return size;
  }

  /**
   * Reads the sparse 1.0 map at the start of the data; returns the bytes it took (whole blocks).
   */
  private long readSparseMap10(long size, String d) throws IOException, InvalidImageException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    List<Long> values = new ArrayList<>();
    long consumed = 0;
    long count = -1;
    byte[] block = new byte[BLOCK];
    while (count < 0 || values.size() < count * 2) {
      if (consumed + BLOCK > size) {
        throw new InvalidImageException(d + ": sparse map runs past the entry's data");
      }
      if (readFully(block, 0, BLOCK) < BLOCK) {
        throw new EOFException(d + ": tar truncated inside the sparse map");
      }
      consumed += BLOCK;
      for (int i = 0; i < BLOCK && (count < 0 || values.size() < count * 2); i++) {
        byte b = block[i];
        if (b != '\n') {
          if (b < '0' || b > '9' || line.size() > 19) {
            throw new InvalidImageException(d + ": malformed sparse map");
          }
          line.write(b);
          continue;
        }
        long v = decimal(line.toString(StandardCharsets.US_ASCII), d);
        line.reset();
        if (count < 0) {
          if (v > MAX_SPARSE_SEGMENTS) {
            throw new InvalidImageException(d + ": sparse map has too many segments");
          }
          count = v;
        } else {
          values.add(v);
        }
      }
    }
    sparseMap = toArray(values);
    return consumed;
  }

  private void checkSparseMap(long stored, String d) throws IOException, InvalidImageException {
    long max = ExpansionLimit.maxBytes();
    if (logicalSize > max) {
      throw new InvalidImageException(
          d
              + ": sparse file of "
              + logicalSize
              + " bytes, above the limit of "
              + max
              + " ("
              + ExpansionLimit.MAX_BYTES_ENV
              + ")");
    }
    long end = 0;
    long data = 0;
    for (int i = 0; i < sparseMap.length; i += 2) {
      long off = sparseMap[i];
      long len = sparseMap[i + 1];
      if (off < 0 || len < 0 || off > Long.MAX_VALUE - len) {
        throw new InvalidImageException(d + ": sparse map segment out of range");
      }
      if (off < end) {
        throw new InvalidImageException(d + ": sparse map segments overlap or are out of order");
      }
      if (off + len > logicalSize) {
        throw new InvalidImageException(d + ": sparse map reaches past the file's real size");
      }
      end = off + len;
      data += len;
    }
    if (data != stored) {
      throw new InvalidImageException(
          d + ": sparse map lists " + data + " bytes of data but the entry stores " + stored);
    }
  }

  private static long decimal(String s, String d) throws InvalidImageException {
    try {
      if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new NumberFormatException();
      }
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new InvalidImageException(d + ": bad number '" + printable(s) + "' in sparse map");
    }
  }

  private static boolean isPaxSparse(Map<String, byte[]> pax, List<String> sparse00) {
    return pax != null
        && (pax.containsKey("GNU.sparse.major")
            || pax.containsKey("GNU.sparse.minor")
            || pax.containsKey("GNU.sparse.map")
            || !sparse00.isEmpty());
  }

  private static long[] toArray(List<Long> l) {
    long[] a = new long[l.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = l.get(i);
    }
    return a;
  }

  private static String ascii(byte[] b) {
    return b == null ? "" : new String(b, StandardCharsets.US_ASCII);
  }

  // ---- headers ----

  private TarEntry buildEntry(
      char flag,
      long size,
      byte[] longName,
      byte[] longLink,
      Map<String, byte[]> pax,
      byte[] sparseName,
      long off)
      throws InvalidImageException, UnsupportedFormatException {
    // only "ustar\0" headers have a prefix; GNU ("ustar  \0") keeps times and the sparse map there
    boolean ustar = matches(257, "ustar\0");
    boolean gnu = matches(257, "ustar  \0");
    String name;
    byte[] paxPath = pax == null ? null : pax.get("path");
    if (sparseName != null) {
      name = RawNames.decode(sparseName);
    } else if (paxPath != null) {
      name = RawNames.decode(paxPath);
    } else if (longName != null) {
      name = RawNames.decode(longName);
    } else {
      String base = field(0, 100);
      if (ustar && header[345] != 0) {
        // star's 131-byte prefix ends in a NUL, so reading up to the first NUL covers both
        name = field(345, 155) + "/" + base;
      } else {
        name = base;
      }
    }
    if (name.indexOf('\0') >= 0) {
      throw new InvalidImageException("tar entry at offset " + off + ": name contains a NUL byte");
    }
    String describe = "tar entry '" + printable(name) + "'";
    EntryType type;
    switch (flag) {
      case '0', '\0', '7', 'S' -> type = EntryType.FILE;
      case '1' -> type = EntryType.HARDLINK;
      case '2' -> type = EntryType.SYMLINK;
      case '3' -> type = EntryType.CHAR_DEVICE;
      case '4' -> type = EntryType.BLOCK_DEVICE;
      case '5', 'D' -> type = EntryType.DIRECTORY;
      case '6' -> type = EntryType.FIFO;
      case 'V', 'M', 'N' ->
          throw new UnsupportedFormatException(
              describe + ": multi-volume or volume headers are not supported");
      default ->
          throw new UnsupportedFormatException(
              describe + ": unsupported entry type '" + printable(String.valueOf(flag)) + "'");
    }
    if (type == EntryType.FILE && flag == '\0' && !ustar && !gnu && name.endsWith("/")) {
      type = EntryType.DIRECTORY; // old v7 archives mark directories by a trailing slash only
    }
    TarEntry.Builder b = TarEntry.builder().name(name).type(type);
    b.mode((int) (parseNumber(100, 8, "mode", off) & 07777));
    long uid = paxNumber(pax, "uid", parseNumber(108, 8, "uid", off), describe);
    long gid = paxNumber(pax, "gid", parseNumber(116, 8, "gid", off), describe);
    if (uid < 0 || gid < 0) {
      throw new InvalidImageException(describe + ": negative uid or gid");
    }
    b.uid(uid).gid(gid);
    long mtime = parseNumber(136, 12, "mtime", off);
    int nanos = 0;
    byte[] paxMtime = pax == null ? null : pax.get("mtime");
    if (paxMtime != null) {
      long[] parsed = parsePaxTime(new String(paxMtime, StandardCharsets.US_ASCII), describe);
      mtime = parsed[0];
      nanos = (int) parsed[1];
    }
    b.mtime(mtime, nanos);
    b.size(size);
    if (ustar || gnu) {
      b.uname(paxString(pax, "uname", ownerName(265, true)));
      b.gname(paxString(pax, "gname", ownerName(297, false)));
      if (type.isDevice()) {
        long major = parseNumber(329, 8, "devmajor", off);
        long minor = parseNumber(337, 8, "devminor", off);
        if (major < 0 || minor < 0 || major > Integer.MAX_VALUE || minor > Integer.MAX_VALUE) {
          throw new InvalidImageException(describe + ": device number out of range");
        }
        b.device((int) major, (int) minor);
      }
    } else {
      b.uname(paxString(pax, "uname", ""));
      b.gname(paxString(pax, "gname", ""));
    }
    String link;
    byte[] paxLink = pax == null ? null : pax.get("linkpath");
    if (paxLink != null) {
      link = RawNames.decode(paxLink);
    } else if (longLink != null) {
      link = RawNames.decode(longLink);
    } else {
      link = field(157, 100);
    }
    if (link.indexOf('\0') >= 0) {
      throw new InvalidImageException(describe + ": link target contains a NUL byte");
    }
    b.linkName(link);
    if (pax != null) {
      readXattrs(pax, b, describe);
    }
    return b.build();
  }

  /**
   * Extended attributes. {@code SCHILY.xattr.NAME=raw value} (GNU tar, Go, us) gives NAME byte for
   * byte, as Go and docker read it. libarchive writes {@code LIBARCHIVE.xattr.ENCODED=base64} and,
   * beside it, {@code SCHILY.xattr.ENCODED=raw value} under the same %-encoded name: such a pair is
   * one attribute, whose name is the decoded one and whose value is the SCHILY record's.
   */
  private static void readXattrs(Map<String, byte[]> pax, TarEntry.Builder b, String describe)
      throws InvalidImageException {
    java.util.Set<String> paired = new java.util.HashSet<>();
    for (Map.Entry<String, byte[]> e : pax.entrySet()) {
      String key = e.getKey();
      if (!key.startsWith("LIBARCHIVE.xattr.")) {
        continue;
      }
      String encoded = key.substring("LIBARCHIVE.xattr.".length());
      String xname = percentDecode(encoded, describe);
      if (xname.isEmpty() || xname.indexOf('\0') >= 0) {
        throw new InvalidImageException(describe + ": bad xattr name in " + printable(key));
      }
      byte[] schily = pax.get("SCHILY.xattr." + encoded);
      if (schily != null) {
        paired.add("SCHILY.xattr." + encoded);
        b.xattr(xname, schily);
        continue;
      }
      try {
        b.xattr(
            xname,
            Base64.getDecoder().decode(new String(e.getValue(), StandardCharsets.US_ASCII).trim()));
      } catch (IllegalArgumentException ex) {
        throw new InvalidImageException(describe + ": bad base64 in " + printable(key));
      }
    }
    for (Map.Entry<String, byte[]> e : pax.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("SCHILY.xattr.") && !paired.contains(key)) {
        String xname = key.substring("SCHILY.xattr.".length());
        if (xname.isEmpty()) {
          throw new InvalidImageException(describe + ": empty xattr name in a PAX header");
        }
        b.xattr(xname, e.getValue());
      }
    }
  }

  /** libarchive's xattr names: %XX escapes for bytes, everything else as is. */
  private static String percentDecode(String s, String describe) throws InvalidImageException {
    byte[] raw = RawNames.encode(s);
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '%') {
        int hi = i + 2 < raw.length ? Character.digit(raw[i + 1], 16) : -1;
        int lo = i + 2 < raw.length ? Character.digit(raw[i + 2], 16) : -1;
        if (hi < 0 || lo < 0) {
          throw new InvalidImageException(
              describe + ": bad %-escape in xattr name '" + printable(s) + "'");
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else {
        out.write(raw[i]);
      }
    }
    return RawNames.decode(out.toByteArray());
  }

  private boolean readHeaderBlock() throws IOException {
    int n = readFully(header, 0, BLOCK);
    if (n == 0) {
      return false;
    }
    if (n < BLOCK) {
      for (int i = 0; i < n; i++) {
        if (header[i] != 0) {
          throw new EOFException("tar truncated inside a header at offset " + (position - n));
        }
      }
      // a short run of zeros: the start of an end marker cut short, which GNU tar takes as the
      // end; counted as a missing marker (a copy gets the whole marker)
      if (sink != null) {
        pending.writeTo(sink);
        sink.write(ZEROS, 0, ZEROS.length - n);
        pending.reset();
      }
      return false;
    }
    return true;
  }

  private byte[] readExtended(long size, long off) throws IOException, InvalidImageException {
    if (size > MAX_EXTENDED_HEADER) {
      throw new InvalidImageException(
          "tar extended header at offset "
              + off
              + " is "
              + size
              + " bytes (limit "
              + MAX_EXTENDED_HEADER
              + ")");
    }
    byte[] data = new byte[(int) size];
    if (readFully(data, 0, data.length) < data.length) {
      throw new InvalidImageException("tar truncated inside an extended header at offset " + off);
    }
    long pad = (BLOCK - (size % BLOCK)) % BLOCK;
    try {
      skipFully(pad);
    } catch (EOFException e) {
      throw new InvalidImageException("tar truncated inside an extended header at offset " + off);
    }
    return data;
  }

  /**
   * Parses PAX records into {@code into}; GNU sparse 0.0's repeated GNU.sparse.offset and
   * GNU.sparse.numbytes records go, in order, to {@code sparse00} (which must then alternate). Keys
   * keep their raw bytes (see {@link RawNames}), so xattr names survive exactly.
   */
  private static void parsePax(
      byte[] data, Map<String, byte[]> into, List<String> sparse00, long off)
      throws InvalidImageException {
    int i = 0;
    while (i < data.length) {
      if (data[i] == 0) {
        break; // some writers pad with NULs
      }
      int sp = i;
      long len = 0;
      while (sp < data.length && data[sp] >= '0' && data[sp] <= '9') {
        len = len * 10 + (data[sp] - '0');
        if (len > data.length) {
          break;
        }
        sp++;
      }
      if (sp == i || sp >= data.length || data[sp] != ' ' || len <= 0 || i + len > data.length) {
        throw new InvalidImageException("malformed PAX header at offset " + off);
      }
      int end = (int) (i + len);
      if (data[end - 1] != '\n') {
        throw new InvalidImageException("malformed PAX record at offset " + off);
      }
      int eq = sp + 1;
      while (eq < end && data[eq] != '=') {
        eq++;
      }
      if (eq >= end) {
        throw new InvalidImageException("malformed PAX record (no '=') at offset " + off);
      }
      String key = RawNames.decode(data, sp + 1, eq - sp - 1);
      byte[] value = Arrays.copyOfRange(data, eq + 1, end - 1);
      if (sparse00 != null
          && (key.equals("GNU.sparse.offset") || key.equals("GNU.sparse.numbytes"))) {
        boolean wantOffset = sparse00.size() % 2 == 0;
        if (wantOffset != key.equals("GNU.sparse.offset")) {
          throw new InvalidImageException(
              "malformed PAX header at offset "
                  + off
                  + ": GNU.sparse.offset and GNU.sparse.numbytes do not alternate");
        }
        sparse00.add(new String(value, StandardCharsets.US_ASCII));
      } else if (value.length == 0) {
        // POSIX: an empty value deletes the keyword. For SCHILY.xattr.NAME= this drops the
        // attribute, as Go's archive/tar (umoci, docker, podman) reads it; GNU tar and libarchive
        // would set an empty attribute instead (docs/formats.md).
        into.remove(key);
      } else {
        into.put(key, value);
      }
      i = end;
    }
  }

  private static long[] parsePaxTime(String s, String describe) throws InvalidImageException {
    try {
      int dot = s.indexOf('.');
      if (dot < 0) {
        return new long[] {Long.parseLong(s), 0};
      }
      long secs = Long.parseLong(s.substring(0, dot).isEmpty() ? "0" : s.substring(0, dot));
      String frac = s.substring(dot + 1);
      if (!frac.chars().allMatch(Character::isDigit)) {
        throw new NumberFormatException(s);
      }
      frac = (frac + "000000000").substring(0, 9);
      long nanos = Long.parseLong(frac);
      if (s.startsWith("-") && nanos > 0) {
        secs -= 1;
        nanos = 1_000_000_000L - nanos;
      }
      return new long[] {secs, nanos};
    } catch (NumberFormatException e) {
      throw new InvalidImageException(describe + ": bad PAX mtime '" + printable(s) + "'");
    }
  }

  private static long paxNumber(Map<String, byte[]> pax, String key, long dflt, String describe)
      throws InvalidImageException {
    byte[] v = pax == null ? null : pax.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      long n = Long.parseLong(new String(v, StandardCharsets.US_ASCII));
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new InvalidImageException(describe + ": bad PAX " + key);
    }
  }

  private static String paxString(Map<String, byte[]> pax, String key, String dflt) {
    byte[] v = pax == null ? null : pax.get(key);
    return v == null ? dflt : RawNames.decode(v);
  }

  private long parseNumber(int off, int len, String what, long headerOffset)
      throws InvalidImageException {
    if ((header[off] & 0x80) != 0) {
      // base-256 (GNU): big-endian two's complement, first byte's top bit is the marker
      boolean negative = (header[off] & 0x40) != 0;
      long v = negative ? -1 : 0;
      for (int i = 0; i < len; i++) {
        int b = header[off + i] & 0xff;
        if (i == 0) {
          b &= 0x7f;
          if (negative) {
            b |= 0x80;
          }
        }
        if (i < len - 8 && b != (negative ? 0xff : 0)) {
          throw new InvalidImageException(
              "tar header at offset " + headerOffset + ": " + what + " out of range");
        }
        v = (v << 8) | b;
      }
      return v;
    }
    int i = off;
    int end = off + len;
    while (i < end && (header[i] == ' ' || header[i] == 0)) {
      i++;
    }
    long v = 0;
    boolean digits = false;
    while (i < end && header[i] >= '0' && header[i] <= '7') {
      v = (v << 3) + (header[i] - '0');
      digits = true;
      i++;
    }
    while (i < end && (header[i] == ' ' || header[i] == 0)) {
      i++;
    }
    if (i != end) {
      throw new InvalidImageException(
          "tar header at offset " + headerOffset + ": bad octal number in " + what + " field");
    }
    return digits ? v : 0;
  }

  private void verifyChecksum(long off) throws InvalidImageException {
    long stored;
    try {
      stored = parseNumber(148, 8, "checksum", off);
    } catch (InvalidImageException e) {
      throw new InvalidImageException(
          "not a tar archive (bad header checksum field at offset " + off + ")");
    }
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < BLOCK; i++) {
      int b = (i >= 148 && i < 156) ? ' ' : header[i];
      unsigned += b & 0xff;
      signed += (i >= 148 && i < 156) ? ' ' : header[i];
    }
    if (stored != unsigned && stored != signed) {
      throw new InvalidImageException(
          "not a tar archive or corrupt: header checksum mismatch at offset " + off);
    }
  }

  private boolean matches(int off, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (header[off + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  // the last user and group names read: a layer names a few owners 100,000 times, and each entry
  // of an indexed upper layer keeps its names, so equal names share one String
  private String lastUname = "";
  private String lastGname = "";

  /** The 32-byte uname (at 265) or gname (at 297) field, the previous String when it is equal. */
  private String ownerName(int off, boolean user) {
    int end = off;
    while (end < off + 32 && header[end] != 0) {
      end++;
    }
    String last = user ? lastUname : lastGname;
    int n = end - off;
    if (last.length() == n && RawNames.isAscii(last)) {
      boolean same = true;
      for (int i = 0; i < n && same; i++) {
        same = header[off + i] == (byte) last.charAt(i);
      }
      if (same) {
        return last;
      }
    }
    String s = RawNames.decode(header, off, n);
    if (user) {
      lastUname = s;
    } else {
      lastGname = s;
    }
    return s;
  }

  private String field(int off, int len) {
    int end = off;
    while (end < off + len && header[end] != 0) {
      end++;
    }
    return RawNames.decode(header, off, end - off);
  }

  /** GNU tar and Go end a long name or link at its first NUL. */
  private static byte[] cutAtNul(byte[] b) {
    int end = 0;
    while (end < b.length && b[end] != 0) {
      end++;
    }
    return Arrays.copyOf(b, end);
  }

  private static boolean isZeroBlock(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private void skipRest() throws IOException {
    if (sparseMap != null && sink != null) {
      // the copy holds the expanded file: write out what the caller did not read
      while (content.read(skipBuffer(), 0, skipBuffer.length) >= 0) {
        // content.read writes to the sink
      }
      long pad = (BLOCK - (logicalSize % BLOCK)) % BLOCK;
      sink.write(ZEROS, 0, (int) pad);
    }
    skipFully(remaining + padding);
    remaining = 0;
    padding = 0;
  }

  private byte[] skipBuffer() {
    if (skipBuffer == null) {
      skipBuffer = new byte[64 * 1024];
    }
    return skipBuffer;
  }

  private void skipFully(long n) throws IOException {
    while (n > 0) {
      long s = copy == null ? in.skip(n) : 0;
      if (s <= 0) {
        byte[] buf = skipBuffer();
        int r = in.read(buf, 0, (int) Math.min(buf.length, n));
        if (r < 0) {
          throw new EOFException(
              "tar truncated inside entry '"
                  + (current == null ? "?" : printable(current.name()))
                  + "'");
        }
        if (copy != null) {
          copy.write(buf, 0, r);
        }
        s = r;
      }
      position += s;
      n -= s;
    }
  }

  private int readFully(byte[] b, int off, int len) throws IOException {
    int total = 0;
    while (total < len) {
      int r = in.read(b, off + total, len - total);
      if (r < 0) {
        break;
      }
      total += r;
    }
    position += total;
    if (copy != null && total > 0) {
      copy.write(b, off, total);
    }
    return total;
  }

  /** Reads stored content bytes, counting them off the entry. */
  private int readStored(byte[] b, int off, int len) throws IOException {
    int r = in.read(b, off, (int) Math.min(len, remaining));
    if (r < 0) {
      throw new EOFException(
          "tar truncated inside entry '"
              + (current == null ? "?" : printable(current.name()))
              + "'");
    }
    remaining -= r;
    position += r;
    if (copy != null) {
      copy.write(b, off, r);
    }
    return r;
  }

  /** Makes names safe to print in a one-line error message. */
  public static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < 200; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0xdc80 && c <= 0xdcff)) {
        sb.append(String.format("\\x%02x", (int) (c & 0xff)));
      } else {
        sb.append(c);
      }
    }
    if (sb.length() >= 200) {
      sb.append("...");
    }
    return sb.toString();
  }

  private final class ContentStream extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (sparseMap == null) {
        if (remaining <= 0) {
          return -1;
        }
        return readStored(b, off, len);
      }
      if (logical >= logicalSize) {
        return -1;
      }
      while (sparseSegment < sparseMap.length
          && logical >= sparseMap[sparseSegment] + sparseMap[sparseSegment + 1]) {
        sparseSegment += 2;
      }
      int n;
      if (sparseSegment < sparseMap.length && logical >= sparseMap[sparseSegment]) {
        long segEnd = sparseMap[sparseSegment] + sparseMap[sparseSegment + 1];
        n = readStored(b, off, (int) Math.min(len, segEnd - logical));
      } else {
        long holeEnd = sparseSegment < sparseMap.length ? sparseMap[sparseSegment] : logicalSize;
        n = (int) Math.min(len, holeEnd - logical);
        Arrays.fill(b, off, off + n, (byte) 0);
      }
      logical += n;
      if (sink != null) {
        sink.write(b, off, n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      if (sparseMap != null || copy != null) {
        long done = 0;
        while (done < n) {
          int r = read(skipBuffer(), 0, (int) Math.min(skipBuffer.length, n - done));
          if (r < 0) {
            break;
          }
          done += r;
        }
        return done;
      }
      long want = Math.min(n, remaining);
      long before = remaining;
      long done = 0;
      while (done < want) {
        long s = in.skip(want - done);
        if (s <= 0) {
          int r = read(skipBuffer(), 0, (int) Math.min(skipBuffer.length, want - done));
          if (r < 0) {
            break;
          }
          done += r;
          continue;
        }
        done += s;
        remaining -= s;
        position += s;
      }
      return before - remaining;
    }

    @Override
    public int available() throws IOException {
      if (sparseMap != null) {
        return 0;
      }
      return (int) Math.min(in.available(), remaining);
    }

    @Override
    public void close() {
      // the archive stream stays open; the reader owns nothing
    }
  }

  /** The header chain read so far, held back until it is known what becomes of it. */
  private static final class Pending extends ByteArrayOutputStream {
    void truncate(int size) {
      count = size;
    }
  }
}
