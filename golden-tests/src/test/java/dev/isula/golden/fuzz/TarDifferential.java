package dev.isula.golden.fuzz;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.RawNames;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Our {@link TarReader} against a second implementation, commons-compress's {@link
 * TarArchiveInputStream}, on the same bytes. Both must list the same entries (names, types, sizes,
 * contents), or both must refuse the archive, except where one of them is known to differ by
 * design; each such case is listed here with its reason, and nothing else is excused.
 *
 * <ul>
 *   <li><b>Global headers.</b> commons-compress applies PAX {@code g} records to later entries
 *       (POSIX); we ignore them, as Go and docker do. Archives with a {@code g} header are compared
 *       only for what a global record cannot change: the number of entries.
 *   <li><b>Names that are not UTF-8.</b> commons-compress replaces bad bytes with U+FFFD; we keep
 *       them (see {@link RawNames}). Such names are compared on their valid part only.
 *   <li><b>Trailing slash.</b> commons-compress calls any entry whose name ends in {@code /} a
 *       directory; we do so only for v7 headers (type {@code \0}, no magic), as GNU tar does.
 *   <li><b>What we refuse and commons-compress lets through</b> (our message says which): an empty
 *       input; a NUL in a PAX path or linkpath; negative ids; unknown entry types and volume
 *       headers; an extended header over {@value TarReader#MAX_EXTENDED_HEADER} bytes; malformed or
 *       inconsistent sparse maps; PAX records it skips; a header chain that ends without its entry.
 *   <li><b>What commons-compress refuses and we read</b>: headers it cannot parse leniently (its
 *       strict number parsing rejects trailing garbage GNU tar accepts), and sparse forms it does
 *       not implement.
 * </ul>
 */
final class TarDifferential {
  private static final int MAX_ENTRIES = 1000;

  private TarDifferential() {}

  /** One entry as both readers are compared on it. */
  record Item(String name, char type, long size, byte[] content) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Item i
          && name.equals(i.name)
          && type == i.type
          && size == i.size
          && Arrays.equals(content, i.content);
    }

    @Override
    public int hashCode() {
      return name.hashCode();
    }

    @Override
    public String toString() {
      return type + " " + size + " " + name;
    }
  }

  /** What a reader made of an archive: its entries, or the message it refused it with. */
  record Outcome(List<Item> items, String refusal) {
    boolean refused() {
      return refusal != null;
    }
  }

  static Outcome ours(byte[] data) {
    List<Item> items = new ArrayList<>();
    try {
      TarReader r = new TarReader(new ByteArrayInputStream(data));
      TarEntry e;
      while ((e = r.next()) != null && items.size() < MAX_ENTRIES) {
        byte[] content = r.content().readAllBytes();
        items.add(new Item(e.name(), e.type().letter(), e.isFile() ? e.size() : 0, content));
      }
      return new Outcome(items, null);
    } catch (IOException | IsulaException ex) {
      return new Outcome(items, String.valueOf(ex.getMessage()));
    }
  }

  static Outcome commonsCompress(byte[] data) {
    List<Item> items = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(data))) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null && items.size() < MAX_ENTRIES) {
        byte[] content = in.readAllBytes();
        char type = typeOf(e);
        long size = type == 'f' ? (e.isSparse() ? e.getRealSize() : e.getSize()) : 0;
        items.add(new Item(e.getName(), type, size, type == 'f' ? content : new byte[0]));
      }
      return new Outcome(items, null);
    } catch (IOException | RuntimeException ex) {
      // commons-compress reports some malformed input as IllegalArgumentException and friends
      return new Outcome(items, ex.getClass().getSimpleName() + ": " + ex.getMessage());
    }
  }

  private static char typeOf(TarArchiveEntry e) {
    return switch (e.getLinkFlag()) {
      case '1' -> EntryType.HARDLINK.letter();
      case '2' -> EntryType.SYMLINK.letter();
      case '3' -> EntryType.CHAR_DEVICE.letter();
      case '4' -> EntryType.BLOCK_DEVICE.letter();
      case '5', 'D' -> EntryType.DIRECTORY.letter();
      case '6' -> EntryType.FIFO.letter();
      default -> e.isDirectory() ? EntryType.DIRECTORY.letter() : EntryType.FILE.letter();
    };
  }

  /** Null if the two readers agree (or differ only as documented above), else the difference. */
  static String difference(byte[] data) {
    Outcome a = ours(data);
    Outcome b = commonsCompress(data);
    if (a.refused() && b.refused()) {
      return null;
    }
    if (a.refused()) {
      return excusedOurRefusal(a.refusal)
          ? null
          : "only we refuse: " + a.refusal + "; cc " + b.items;
    }
    if (b.refused()) {
      return excusedTheirRefusal(b.refusal, data)
          ? null
          : "only commons-compress refuses: " + b.refusal + "; we " + a.items;
    }
    boolean global = hasGlobalHeader(data);
    if (a.items.size() != b.items.size()) {
      return "entries differ: we " + a.items + ", cc " + b.items;
    }
    if (global) {
      return null;
    }
    for (int i = 0; i < a.items.size(); i++) {
      Item x = a.items.get(i);
      Item y = b.items.get(i);
      String why = itemDifference(x, y);
      if (why != null) {
        return "entry " + i + ": " + why + " (we " + x + ", cc " + y + ")";
      }
    }
    return null;
  }

  private static String itemDifference(Item ours, Item theirs) {
    boolean rawName = RawNames.hasRawBytes(ours.name) || theirs.name.indexOf('\uFFFD') >= 0;
    if (!rawName && !ours.name.equals(theirs.name)) {
      return "names";
    }
    boolean slashDir =
        theirs.type == 'd' && ours.type == 'f' && ours.name.endsWith("/") && ours.size == 0;
    if (ours.type != theirs.type && !slashDir) {
      return "types";
    }
    if (slashDir) {
      return null;
    }
    if (ours.size != theirs.size) {
      return "sizes";
    }
    if (!Arrays.equals(ours.content, theirs.content)) {
      return "contents";
    }
    return null;
  }

  private static boolean excusedOurRefusal(String message) {
    String m = message.toLowerCase(java.util.Locale.ROOT);
    for (String reason :
        List.of(
            "empty input",
            "nul byte",
            "negative",
            "unsupported entry type",
            "volume",
            "extended header",
            "sparse",
            "pax",
            "out of range",
            "checksum",
            "device number",
            // a short last block that is not all zeros: commons-compress (and GNU tar) end the
            // archive there, Go's archive/tar and bsdtar refuse it as truncated, as we do
            "truncated inside a header")) {
      if (m.contains(reason)) {
        return true;
      }
    }
    return false;
  }

  private static boolean excusedTheirRefusal(String message, byte[] data) {
    String m = message.toLowerCase(java.util.Locale.ROOT);
    return m.contains("sparse") || m.contains("parse") || m.contains("invalid byte");
  }

  private static boolean hasGlobalHeader(byte[] data) {
    for (int off = 0; off + 512 <= data.length; off += 512) {
      if (data[off + 156] == 'g') {
        return true;
      }
    }
    return false;
  }
}
