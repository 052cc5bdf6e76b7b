package dev.isula.toolkit.tar;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.hash.DigestingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.Map;

/**
 * A human-readable, diff-friendly rendering of a tar archive: one line per entry with type, octal
 * mode, owner, size, mtime, content sha256, name, link target and extended attributes. Golden tests
 * approve this text instead of raw bytes.
 */
public final class TarListing {
  private TarListing() {}

  /** Reads a whole (uncompressed) tar stream and renders every entry. */
  public static String of(InputStream tar) throws IOException, IsulaException {
    StringBuilder sb = new StringBuilder();
    TarReader reader = new TarReader(tar);
    TarEntry e;
    while ((e = reader.next()) != null) {
      String sha = "-";
      if (e.isFile()) {
        DigestingInputStream d = new DigestingInputStream(reader.content());
        d.drain();
        sha = d.digest().hex();
      }
      sb.append(line(e, sha)).append('\n');
    }
    return sb.toString();
  }

  /** One line; {@code sha256Hex} is "-" for non-files. */
  public static String line(TarEntry e, String sha256Hex) {
    StringBuilder sb = new StringBuilder();
    sb.append(e.type().letter()).append(' ');
    sb.append(String.format("%04o", e.mode())).append(' ');
    sb.append(e.uid()).append(':').append(e.gid());
    if (!e.uname().isEmpty() || !e.gname().isEmpty()) {
      sb.append('(').append(e.uname()).append(':').append(e.gname()).append(')');
    }
    sb.append(' ');
    if (e.type().isDevice()) {
      sb.append(e.devMajor()).append(',').append(e.devMinor());
    } else {
      sb.append(e.size());
    }
    sb.append(' ').append(TarWriter.formatTime(e.mtimeSeconds(), e.mtimeNanos()));
    sb.append(" ").append(sha256Hex);
    sb.append(' ').append(TarReader.printable(e.name()));
    if (!e.linkName().isEmpty()) {
      sb.append(e.type() == EntryType.HARDLINK ? " link to " : " -> ")
          .append(TarReader.printable(e.linkName()));
    }
    for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
      sb.append(" xattr:")
          .append(TarReader.printable(x.getKey()))
          .append('=')
          .append(HexFormat.of().formatHex(x.getValue()));
    }
    return sb.toString();
  }
}
