package dev.isula.toolkit.tar;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes POSIX.1-2001 (PAX) tar archives deterministically: the same entries always give the same
 * bytes. A PAX header is added only when ustar cannot hold a value exactly (long or non-ASCII
 * names, large ids or sizes, sub-second mtimes) and for extended attributes, whose values are
 * written as raw bytes. Directory names get a trailing slash; the archive ends with two zero
 * blocks.
 */
public final class TarWriter implements Closeable, EntrySink {
  private static final int BLOCK = TarReader.BLOCK;
  private static final long MAX_OCTAL_8 = 07777777L;
  private static final long MAX_OCTAL_12 = 077777777777L;
  private static final byte[] ZEROS = new byte[BLOCK * 2];

  private final OutputStream out;
  private final boolean checked;
  private byte[] copyBuffer; // reused across entries: no garbage per file
  private long remaining;
  private long padding;
  private String currentName;
  private boolean finished;
  private long written;
  private byte[] lastHeader; // the ustar block of the entry being written
  private boolean open; // an entry whose size is known only at its end
  private long openStart;
  private byte[] openHeader; // the header block of the last open entry, with size 0

  /** Writes to {@code out}, which the caller should buffer; {@link #close()} closes it. */
  public TarWriter(OutputStream out) {
    this(out, true);
  }

  private TarWriter(OutputStream out, boolean checked) {
    this.out = out;
    this.checked = checked;
  }

  /**
   * A writer that skips {@link #checkRepresentable}: it writes NULs in names, ids above {@link
   * #MAX_ID} and any xattr name. Only for tests that build hostile input for readers.
   */
  public static TarWriter unchecked(OutputStream out) {
    return new TarWriter(out, false);
  }

  /**
   * Writes the header of {@code entry}; exactly {@code entry.size()} content bytes must follow
   * through {@link #write} or {@link #copyContent} before the next entry.
   */
  public void putEntry(TarEntry entry) throws IOException {
    closeEntry();
    if (checked) {
      checkRepresentable(entry);
    }
    String name =
        entry.isDirectory() && !entry.name().endsWith("/") ? entry.name() + "/" : entry.name();
    byte[] nameBytes = RawNames.encode(name);
    byte[] linkBytes = RawNames.encode(entry.linkName());
    Map<String, byte[]> pax = new LinkedHashMap<>();
    boolean binary = RawNames.hasRawBytes(name) || RawNames.hasRawBytes(entry.linkName());

    byte[] ustarName = nameBytes;
    byte[] ustarPrefix = new byte[0];
    if (!RawNames.isAscii(name) || nameBytes.length > 100) {
      int split = splitPoint(nameBytes);
      if (RawNames.isAscii(name) && split > 0) {
        ustarPrefix = Arrays.copyOfRange(nameBytes, 0, split);
        ustarName = Arrays.copyOfRange(nameBytes, split + 1, nameBytes.length);
      } else {
        pax.put("path", nameBytes);
        ustarName = truncate(asciiFallback(nameBytes), 100);
      }
    }
    if (!RawNames.isAscii(entry.linkName()) || linkBytes.length > 100) {
      pax.put("linkpath", linkBytes);
      linkBytes = truncate(asciiFallback(linkBytes), 100);
    }
    if (entry.size() > MAX_OCTAL_12) {
      pax.put("size", ascii(Long.toString(entry.size())));
    }
    if (entry.uid() > MAX_OCTAL_8 || entry.uid() < 0) {
      pax.put("uid", ascii(Long.toString(entry.uid())));
    }
    if (entry.gid() > MAX_OCTAL_8 || entry.gid() < 0) {
      pax.put("gid", ascii(Long.toString(entry.gid())));
    }
    byte[] uname = RawNames.encode(entry.uname());
    byte[] gname = RawNames.encode(entry.gname());
    if (uname.length > 32 || !RawNames.isAscii(entry.uname())) {
      pax.put("uname", uname);
      uname = new byte[0];
    }
    if (gname.length > 32 || !RawNames.isAscii(entry.gname())) {
      pax.put("gname", gname);
      gname = new byte[0];
    }
    if (entry.mtimeNanos() != 0
        || entry.mtimeSeconds() < 0
        || entry.mtimeSeconds() > MAX_OCTAL_12) {
      pax.put("mtime", ascii(formatTime(entry.mtimeSeconds(), entry.mtimeNanos())));
    }
    for (Map.Entry<String, byte[]> x : entry.xattrs().entrySet()) {
      pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
    }
    binary |= pax.containsKey("uname") && RawNames.hasRawBytes(entry.uname());
    binary |= pax.containsKey("gname") && RawNames.hasRawBytes(entry.gname());
    if (binary) {
      pax.put("hdrcharset", ascii("BINARY"));
    }
    if (!pax.isEmpty()) {
      byte[] records = paxRecords(pax);
      byte[] h = new byte[BLOCK];
      putString(h, 0, 100, paxHeaderName(nameBytes));
      putOctal(h, 100, 8, 0644);
      putOctal(h, 108, 8, 0);
      putOctal(h, 116, 8, 0);
      putOctal(h, 124, 12, records.length);
      putOctal(h, 136, 12, clampTime(entry.mtimeSeconds()));
      h[156] = 'x';
      putUstarMagic(h);
      finishHeader(h);
      emit(h, 0, BLOCK);
      emit(records, 0, records.length);
      pad(records.length);
    }
    byte[] h = new byte[BLOCK];
    putString(h, 0, 100, ustarName);
    putOctal(h, 100, 8, entry.mode());
    putOctal(h, 108, 8, entry.uid() > MAX_OCTAL_8 || entry.uid() < 0 ? 0 : entry.uid());
    putOctal(h, 116, 8, entry.gid() > MAX_OCTAL_8 || entry.gid() < 0 ? 0 : entry.gid());
    putOctal(h, 124, 12, entry.size() > MAX_OCTAL_12 ? 0 : entry.size());
    putOctal(h, 136, 12, clampTime(entry.mtimeSeconds()));
    h[156] = (byte) entry.type().flag();
    putString(h, 157, 100, linkBytes);
    putUstarMagic(h);
    putString(h, 265, 32, uname);
    putString(h, 297, 32, gname);
    if (entry.type().isDevice()) {
      putNumber(h, 329, 8, entry.devMajor());
      putNumber(h, 337, 8, entry.devMinor());
    } else {
      putOctal(h, 329, 8, 0);
      putOctal(h, 337, 8, 0);
    }
    putString(h, 345, 155, ustarPrefix);
    finishHeader(h);
    lastHeader = h;
    emit(h, 0, BLOCK);
    remaining = entry.size();
    padding = (BLOCK - (entry.size() % BLOCK)) % BLOCK;
    currentName = entry.name();
  }

  /** The largest uid or gid GNU tar reads (its uid_t and gid_t are 32 bits). */
  public static final long MAX_ID = 0xffffffffL;

  /**
   * Refuses what no tar record can carry so that GNU tar, bsdtar and Go all read it back: NUL bytes
   * in names, link targets and owner names, ids above {@link #MAX_ID}, and extended attribute names
   * that are empty, not UTF-8 (PAX keywords must be), or hold NUL, {@code =} (it ends a PAX
   * keyword) or a {@code %XX} escape (GNU tar and bsdtar would decode it).
   */
  static void checkRepresentable(TarEntry e) throws UnwritableEntryException {
    String what = "cannot write '" + TarReader.printable(e.name()) + "' as tar: ";
    if (e.name().indexOf('\0') >= 0) {
      throw new UnwritableEntryException(what + "its name contains a NUL byte");
    }
    if (e.linkName().indexOf('\0') >= 0) {
      throw new UnwritableEntryException(what + "its link target contains a NUL byte");
    }
    if (e.uname().indexOf('\0') >= 0 || e.gname().indexOf('\0') >= 0) {
      throw new UnwritableEntryException(what + "its owner or group name contains a NUL byte");
    }
    if (e.uid() > MAX_ID || e.gid() > MAX_ID) {
      throw new UnwritableEntryException(
          what
              + "uid "
              + e.uid()
              + " or gid "
              + e.gid()
              + " is above "
              + MAX_ID
              + ", the largest GNU tar reads");
    }
    for (String x : e.xattrs().keySet()) {
      String problem = null;
      if (x.isEmpty()) {
        problem = "is empty";
      } else if (x.indexOf('\0') >= 0) {
        problem = "contains a NUL byte";
      } else if (x.indexOf('=') >= 0) {
        problem = "contains '=', which ends a PAX keyword";
      } else if (RawNames.hasRawBytes(x)) {
        problem = "is not UTF-8, which PAX keywords must be";
      } else if (x.matches("(?s).*%[0-9A-Fa-f]{2}.*")) {
        problem = "contains a %XX sequence, which GNU tar and bsdtar would decode";
      }
      if (problem != null) {
        throw new UnwritableEntryException(
            what + "extended attribute name '" + TarReader.printable(x) + "' " + problem);
      }
    }
  }

  /** An entry that no tar record can represent faithfully; the message names it. */
  public static final class UnwritableEntryException extends IOException {
    private static final long serialVersionUID = 1L;

    public UnwritableEntryException(String message) {
      super(message);
    }
  }

  /**
   * Starts a file entry whose size is known only when its content ends, for an output that can be
   * patched afterwards: write the content with {@link #write}, then {@link #closeOpenEntry()} gives
   * the size, and {@link #patchedHeader} the header to put at the offset this returns. {@code
   * entry} (its size is ignored) must need no PAX header: a short ASCII name, small ids.
   *
   * @return the offset of the entry's header block from the start of the archive
   */
  public long putOpenEntry(TarEntry entry) throws IOException {
    if (entry.type() != EntryType.FILE) {
      throw new IllegalArgumentException("only a file entry can be open: " + entry.name());
    }
    closeEntry();
    long at = written;
    putEntry(entry.toBuilder().size(0).build());
    if (written - at != BLOCK) {
      throw new IllegalArgumentException(
          "'" + entry.name() + "' needs a PAX header and cannot be written open");
    }
    open = true;
    openHeader = lastHeader;
    openStart = written;
    remaining = Long.MAX_VALUE;
    return at;
  }

  /** Ends the entry {@link #putOpenEntry} started, pads it, and returns its content size. */
  public long closeOpenEntry() throws IOException {
    if (!open) {
      throw new IllegalStateException("no open entry");
    }
    long size = written - openStart;
    open = false;
    remaining = 0;
    padding = (BLOCK - (size % BLOCK)) % BLOCK;
    closeEntry();
    return size;
  }

  /**
   * The header block of the last open entry with its real size: octal up to 8 GiB, GNU base-256
   * above (which GNU tar, bsdtar, Go and commons-compress all read).
   */
  public byte[] patchedHeader(long size) {
    if (openHeader == null) {
      throw new IllegalStateException("no open entry was written");
    }
    byte[] h = openHeader.clone();
    putNumber(h, 124, 12, size);
    finishHeader(h);
    return h;
  }

  /** Writes part of the current entry's content. */
  public void write(byte[] b, int off, int len) throws IOException {
    if (open) {
      emit(b, off, len);
      return;
    }
    if (len > remaining) {
      throw new IOException(
          "more content than the header of '"
              + currentName
              + "' declares ("
              + remaining
              + " left)");
    }
    emit(b, off, len);
    remaining -= len;
  }

  /**
   * Copies the current entry's content from {@code in}, which must supply at least the declared
   * size; fails if it ends early.
   */
  public void copyContent(InputStream in) throws IOException {
    if (remaining <= 0) {
      return;
    }
    if (copyBuffer == null) {
      copyBuffer = new byte[256 * 1024];
    }
    byte[] buf = copyBuffer;
    while (remaining > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
      if (n < 0) {
        throw new java.io.EOFException(
            "content of '" + currentName + "' ended " + remaining + " bytes early");
      }
      write(buf, 0, n);
    }
  }

  /** Convenience: header plus all content. */
  @Override
  public void write(TarEntry entry, InputStream content) throws IOException {
    putEntry(entry);
    if (entry.size() > 0) {
      copyContent(content);
    }
    closeEntry();
  }

  /** Header plus in-memory content (small files, tests). */
  public void write(TarEntry entry, byte[] content) throws IOException {
    if (content.length != entry.size()) {
      throw new IllegalArgumentException("size mismatch for " + entry.name());
    }
    putEntry(entry);
    write(content, 0, content.length);
    closeEntry();
  }

  private void closeEntry() throws IOException {
    if (open) {
      throw new IOException("entry '" + currentName + "' is still open");
    }
    if (remaining > 0) {
      throw new IOException(
          "entry '" + currentName + "' is missing " + remaining + " bytes of content");
    }
    if (padding > 0) {
      emit(ZEROS, 0, (int) padding);
      padding = 0;
    }
  }

  /** Ends the archive with two zero blocks; the stream stays open. */
  @Override
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    closeEntry();
    emit(ZEROS, 0, ZEROS.length);
    finished = true;
  }

  /** Bytes written so far, headers and padding included. */
  public long bytesWritten() {
    return written;
  }

  @Override
  public void close() throws IOException {
    try {
      finish();
    } finally {
      out.close();
    }
  }

  private void emit(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    written += len;
  }

  private void pad(long len) throws IOException {
    int p = (int) ((BLOCK - (len % BLOCK)) % BLOCK);
    if (p > 0) {
      emit(ZEROS, 0, p);
    }
  }

  private static int splitPoint(byte[] name) {
    // ustar: prefix (<=155) + '/' + name (<=100)
    if (name.length > 256) {
      return -1;
    }
    for (int i = Math.min(155, name.length - 1); i > 0; i--) {
      if (name[i] == '/' && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] paxHeaderName(byte[] nameBytes) {
    String name = new String(asciiFallback(nameBytes), StandardCharsets.US_ASCII);
    if (name.endsWith("/")) {
      name = name.substring(0, name.length() - 1);
    }
    int slash = name.lastIndexOf('/');
    String dir = slash < 0 ? "" : name.substring(0, slash + 1);
    String base = name.substring(slash + 1);
    String full = dir + "PaxHeaders.0/" + base;
    if (full.length() > 100) {
      full = "PaxHeaders.0/" + base;
    }
    return truncate(full.getBytes(StandardCharsets.US_ASCII), 100);
  }

  private static byte[] asciiFallback(byte[] b) {
    byte[] r = b.clone();
    for (int i = 0; i < r.length; i++) {
      if (r[i] < 0x20) {
        r[i] = '_';
      }
    }
    return r;
  }

  static byte[] paxRecords(Map<String, byte[]> pax) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> e : pax.entrySet()) {
      byte[] key = RawNames.encode(e.getKey());
      byte[] value = e.getValue();
      int base = key.length + value.length + 3; // ' ' '=' '\n'
      int len = base + Integer.toString(base).length();
      if (Integer.toString(len).length() != Integer.toString(base).length()) {
        len = base + Integer.toString(len).length();
      }
      byte[] prefix = (len + " ").getBytes(StandardCharsets.US_ASCII);
      out.write(prefix, 0, prefix.length);
      out.write(key, 0, key.length);
      out.write('=');
      out.write(value, 0, value.length);
      out.write('\n');
    }
    return out.toByteArray();
  }

  static String formatTime(long seconds, int nanos) {
    if (nanos == 0) {
      return Long.toString(seconds);
    }
    long s = seconds;
    long n = nanos;
    String sign = "";
    if (s < 0) {
      // -1.25s is stored as seconds=-2, nanos=750000000
      sign = "-";
      s = -(s + 1);
      n = 1_000_000_000L - n;
    }
    String frac = String.format("%09d", n).replaceAll("0+$", "");
    return sign + s + "." + frac;
  }

  private static long clampTime(long t) {
    return Math.max(0, Math.min(t, MAX_OCTAL_12));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] truncate(byte[] b, int max) {
    return b.length <= max ? b : Arrays.copyOf(b, max);
  }

  private static void putString(byte[] h, int off, int len, byte[] v) {
    System.arraycopy(v, 0, h, off, Math.min(len, v.length));
  }

  private static void putOctal(byte[] h, int off, int len, long v) {
    String s = Long.toOctalString(v);
    int digits = len - 1;
    if (s.length() > digits) {
      throw new IllegalArgumentException("value " + v + " does not fit " + len + " octal bytes");
    }
    for (int i = 0; i < digits - s.length(); i++) {
      h[off + i] = '0';
    }
    for (int i = 0; i < s.length(); i++) {
      h[off + digits - s.length() + i] = (byte) s.charAt(i);
    }
    h[off + len - 1] = 0;
  }

  /** Octal when {@code v} fits the field ({@code len - 1} digits), else GNU base-256. */
  private static void putNumber(byte[] h, int off, int len, long v) {
    if (v >= 0 && v < 1L << (3 * (len - 1))) {
      putOctal(h, off, len, v);
      return;
    }
    // GNU base-256
    for (int i = len - 1; i >= 0; i--) {
      h[off + i] = (byte) (v & 0xff);
      v >>= 8;
    }
    h[off] |= (byte) 0x80;
  }

  private static void putUstarMagic(byte[] h) {
    byte[] magic = "ustar\0".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(magic, 0, h, 257, 6);
    h[263] = '0';
    h[264] = '0';
  }

  private static void finishHeader(byte[] h) {
    Arrays.fill(h, 148, 156, (byte) ' ');
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    String s = Long.toOctalString(sum);
    String padded = "000000".substring(Math.min(6, s.length())) + s;
    for (int i = 0; i < 6; i++) {
      h[148 + i] = (byte) padded.charAt(i);
    }
    h[154] = 0;
    h[155] = ' ';
  }
}
