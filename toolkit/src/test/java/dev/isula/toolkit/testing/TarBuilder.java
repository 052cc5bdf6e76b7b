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

  public static TarBuilder tar() {
    return new TarBuilder();
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

  /** The finished archive (two zero blocks appended). */
  public byte[] build() {
    try {
      writer.finish();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The archive without its end-of-archive blocks (to build broken input). */
  public byte[] buildWithoutEnd() {
    return bytes.toByteArray();
  }
}
