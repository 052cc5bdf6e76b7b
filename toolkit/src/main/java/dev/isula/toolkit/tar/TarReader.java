package dev.isula.toolkit.tar;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A streaming tar reader for ustar, PAX and GNU archives that keeps PAX values as raw bytes (so
 * binary extended attributes such as {@code security.capability} survive) and reports the exact
 * stream offset of each entry's content, which lets callers read it back later with positional I/O.
 *
 * <p>Names are returned as written (not normalised): see {@link EntryNames}. Sparse files,
 * multi-volume archives and unknown entry types are refused with an error naming the entry. The
 * archive ends at the first all-zero block; the rest of the stream is left unread.
 */
public final class TarReader {
  static final int BLOCK = 512;

  /** Largest PAX or GNU long-name header accepted; bigger ones are hostile or broken. */
  public static final int MAX_EXTENDED_HEADER = 1 << 20;

  private final InputStream in;
  private final byte[] header = new byte[BLOCK];
  private byte[] skipBuffer; // reused when the stream cannot skip
  private final Map<String, byte[]> globalPax = new LinkedHashMap<>();
  private long position;
  private long remaining;
  private long padding;
  private long dataOffset;
  private TarEntry current;
  private boolean ended;
  private final ContentStream content = new ContentStream();

  /** Reads from {@code in}, which the caller owns and should buffer. */
  public TarReader(InputStream in) {
    this.in = in;
  }

  /**
   * Advances to the next entry, skipping any unread content of the current one.
   *
   * @return the entry, or null at the end of the archive
   * @throws InvalidImageException if the archive is malformed or truncated
   * @throws UnsupportedFormatException for sparse files, volumes or unknown entry types
   */
  public TarEntry next() throws IOException, InvalidImageException, UnsupportedFormatException {
    if (ended) {
      return null;
    }
    skipRest();
    byte[] longName = null;
    byte[] longLink = null;
    Map<String, byte[]> pax = null;
    while (true) {
      long headerOffset = position;
      if (!readHeaderBlock()) {
        if (longName != null || pax != null || longLink != null) {
          throw new InvalidImageException(
              "tar truncated after an extended header at offset " + headerOffset);
        }
        throw new InvalidImageException(
            "tar truncated: no end-of-archive marker at offset " + headerOffset);
      }
      if (isZeroBlock(header)) {
        ended = true;
        current = null;
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
          pax = new LinkedHashMap<>(globalPax);
          parsePax(readExtended(size, headerOffset), pax, headerOffset);
          continue;
        }
        case 'g' -> {
          parsePax(readExtended(size, headerOffset), globalPax, headerOffset);
          continue;
        }
        case 'L' -> {
          longName = trimNul(readExtended(size, headerOffset));
          continue;
        }
        case 'K' -> {
          longLink = trimNul(readExtended(size, headerOffset));
          continue;
        }
        default -> {
          // an entry header
        }
      }
      if (pax == null && !globalPax.isEmpty()) {
        pax = new LinkedHashMap<>(globalPax);
      }
      // a PAX size overrides the ustar field, which writers leave 0 for sizes of 8 GiB and more
      size = paxNumber(pax, "size", size, "tar entry at offset " + headerOffset);
      current = buildEntry(flag, size, longName, longLink, pax, headerOffset);
      dataOffset = position;
      remaining = size;
      padding = (BLOCK - (size % BLOCK)) % BLOCK;
      return current;
    }
  }

  /** The current entry's content; reads end at its last byte. Valid until {@link #next()}. */
  public InputStream content() {
    return content;
  }

  /** Stream offset of the current entry's first content byte. */
  public long dataOffset() {
    return dataOffset;
  }

  /** Bytes consumed from the underlying stream so far. */
  public long position() {
    return position;
  }

  /** The current entry, or null before the first / after the last. */
  public TarEntry current() {
    return current;
  }

  private TarEntry buildEntry(
      char flag, long size, byte[] longName, byte[] longLink, Map<String, byte[]> pax, long off)
      throws InvalidImageException, UnsupportedFormatException {
    boolean ustar = matches(257, "ustar\0");
    boolean gnu = matches(257, "ustar ");
    String name;
    byte[] paxPath = pax == null ? null : pax.get("path");
    if (paxPath != null) {
      name = RawNames.decode(paxPath);
    } else if (longName != null) {
      name = RawNames.decode(longName);
    } else {
      String base = field(0, 100);
      if (ustar && header[345] != 0) {
        name = field(345, 155) + "/" + base;
      } else {
        name = base;
      }
    }
    if (name.indexOf('\0') >= 0) {
      throw new InvalidImageException("tar entry at offset " + off + ": name contains a NUL byte");
    }
    String describe = "tar entry '" + printable(name) + "'";
    if (pax != null) {
      for (String key : pax.keySet()) {
        if (key.startsWith("GNU.sparse.")) {
          throw new UnsupportedFormatException(describe + ": sparse files are not supported");
        }
      }
    }
    EntryType type;
    switch (flag) {
      case '0', '\0', '7' -> type = EntryType.FILE;
      case '1' -> type = EntryType.HARDLINK;
      case '2' -> type = EntryType.SYMLINK;
      case '3' -> type = EntryType.CHAR_DEVICE;
      case '4' -> type = EntryType.BLOCK_DEVICE;
      case '5', 'D' -> type = EntryType.DIRECTORY;
      case '6' -> type = EntryType.FIFO;
      case 'S' ->
          throw new UnsupportedFormatException(describe + ": sparse files are not supported");
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
      b.uname(paxString(pax, "uname", field(265, 32)));
      b.gname(paxString(pax, "gname", field(297, 32)));
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
      for (Map.Entry<String, byte[]> e : pax.entrySet()) {
        String key = e.getKey();
        if (key.startsWith("SCHILY.xattr.")) {
          b.xattr(key.substring("SCHILY.xattr.".length()), e.getValue());
        } else if (key.startsWith("LIBARCHIVE.xattr.")) {
          String xname =
              java.net.URLDecoder.decode(
                  key.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
          try {
            byte[] value =
                Base64.getDecoder()
                    .decode(new String(e.getValue(), StandardCharsets.US_ASCII).trim());
            b.xattr(xname, value);
          } catch (IllegalArgumentException ex) {
            throw new InvalidImageException(describe + ": bad base64 in " + key);
          }
        }
      }
    }
    return b.build();
  }

  private boolean readHeaderBlock() throws IOException {
    int n = readFully(header, 0, BLOCK);
    if (n == 0) {
      return false;
    }
    if (n < BLOCK) {
      throw new EOFException("tar truncated inside a header at offset " + (position - n));
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
    skipFully(pad);
    return data;
  }

  private static void parsePax(byte[] data, Map<String, byte[]> into, long off)
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
      String key = new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
      byte[] value = java.util.Arrays.copyOfRange(data, eq + 1, end - 1);
      if (value.length == 0) {
        into.remove(key); // an empty value deletes a (global) keyword
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

  private String field(int off, int len) {
    int end = off;
    while (end < off + len && header[end] != 0) {
      end++;
    }
    return RawNames.decode(header, off, end - off);
  }

  private static byte[] trimNul(byte[] b) {
    int end = b.length;
    while (end > 0 && b[end - 1] == 0) {
      end--;
    }
    return java.util.Arrays.copyOf(b, end);
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
    skipFully(remaining + padding);
    remaining = 0;
    padding = 0;
  }

  private void skipFully(long n) throws IOException {
    byte[] buf = null;
    while (n > 0) {
      long s = in.skip(n);
      if (s <= 0) {
        if (buf == null) {
          if (skipBuffer == null) {
            skipBuffer = new byte[64 * 1024];
          }
          buf = skipBuffer;
        }
        int r = in.read(buf, 0, (int) Math.min(buf.length, n));
        if (r < 0) {
          throw new EOFException(
              "tar truncated inside entry '"
                  + (current == null ? "?" : printable(current.name()))
                  + "'");
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
    return total;
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
      if (remaining <= 0) {
        return -1;
      }
      int r = in.read(b, off, (int) Math.min(len, remaining));
      if (r < 0) {
        throw new EOFException(
            "tar truncated inside entry '"
                + (current == null ? "?" : printable(current.name()))
                + "'");
      }
      remaining -= r;
      position += r;
      return r;
    }

    @Override
    public long skip(long n) throws IOException {
      long want = Math.min(n, remaining);
      long before = remaining;
      long done = 0;
      while (done < want) {
        long s = in.skip(want - done);
        if (s <= 0) {
          if (skipBuffer == null) {
            skipBuffer = new byte[64 * 1024];
          }
          byte[] buf = skipBuffer;
          int r = read(buf, 0, (int) Math.min(buf.length, want - done));
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
      return (int) Math.min(in.available(), remaining);
    }

    @Override
    public void close() {
      // the archive stream stays open; the reader owns nothing
    }
  }
}
