package dev.isula.toolkit.testing;

import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Builds small tar archives in memory for tests: entries are written in the order added, names
 * exactly as given (so hostile names can be produced too). Default mtime is a fixed instant.
 */
public final class TarBuilder {
  public static final long MTIME = 1_600_000_000L;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarWriter writer = TarWriter.unchecked(bytes); // hostile names too

  /** An entry other tars would alter or stumble on (an escaping name, say): input, not output. */
  private boolean hostile;

  public static TarBuilder tar() {
    return new TarBuilder();
  }

  /**
   * Marks the archive as hostile input built on purpose (an empty name, an oversized PAX record):
   * {@link #build()} then does not have GNU tar and bsdtar list it.
   */
  public TarBuilder hostileInput() {
    hostile = true;
    return this;
  }

  public TarBuilder dir(String name) {
    return dir(name, 0755);
  }

  public TarBuilder dir(String name, int mode) {
    return entry(base(name).type(EntryType.DIRECTORY).mode(mode).build(), new byte[0]);
  }

  public TarBuilder file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  public TarBuilder file(String name, byte[] content, int mode) {
    return entry(base(name).mode(mode).size(content.length).build(), content);
  }

  public TarBuilder symlink(String name, String target) {
    return entry(
        base(name).type(EntryType.SYMLINK).mode(0777).linkName(target).build(), new byte[0]);
  }

  public TarBuilder hardlink(String name, String target) {
    return entry(base(name).type(EntryType.HARDLINK).linkName(target).build(), new byte[0]);
  }

  public TarBuilder whiteout(String path) {
    int slash = path.lastIndexOf('/');
    String name =
        slash < 0
            ? ".wh." + path
            : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
    return file(name, "");
  }

  public TarBuilder opaque(String dir) {
    return file(dir.isEmpty() ? ".wh..wh..opq" : dir + "/.wh..wh..opq", "");
  }

  public TarBuilder fifo(String name) {
    return entry(base(name).type(EntryType.FIFO).build(), new byte[0]);
  }

  public TarBuilder charDevice(String name, int major, int minor) {
    return entry(
        base(name).type(EntryType.CHAR_DEVICE).mode(0666).device(major, minor).build(),
        new byte[0]);
  }

  /** Adds any entry; {@code content} must match its size. */
  public TarBuilder entry(TarEntry e, byte[] content) {
    hostile |=
        escapes(e.name())
            || (e.type() == EntryType.HARDLINK && escapes(e.linkName()))
            || (!e.isDirectory() && e.name().endsWith("/"));
    try {
      writer.write(e, content);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return this;
  }

  public static TarEntry.Builder base(String name) {
    return TarEntry.builder().name(name).mtimeSeconds(MTIME).uname("root").gname("root");
  }

  /**
   * The finished archive (two zero blocks appended), checked to be listed cleanly by GNU tar and
   * bsdtar ({@link PeerTarListing}), unless an entry is hostile on purpose: an absolute or escaping
   * name or hardlink target (GNU tar says it removes the leading part), a non-directory name with a
   * trailing slash (bsdtar takes it for a directory).
   */
  public byte[] build() {
    try {
      writer.finish();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] tar = bytes.toByteArray();
    if (!hostile) {
      PeerTarListing.check(tar, "a tar built by TarBuilder");
    }
    return tar;
  }

  private static boolean escapes(String name) {
    if (name.startsWith("/")) {
      return true;
    }
    for (String part : name.split("/")) {
      if (part.equals("..")) {
        return true;
      }
    }
    return false;
  }

  /** The archive without its end-of-archive blocks (to build broken input). */
  public byte[] buildWithoutEnd() {
    return bytes.toByteArray();
  }
}
