package dev.isula.format.containersstorage;

import dev.isula.format.containersstorage.Records.IdRange;
import dev.isula.format.containersstorage.Records.LayerRecord;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.blob.TempBlob;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.rootfs.DirectoryRootfsReader;
import dev.isula.toolkit.tar.EntrySink;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A layer tar made from the layer's directory, for layers whose tar-split file is missing or cannot
 * rebuild the tar. The tar differs from the one the layer was made from (other header encodings,
 * sorted entries), so its DiffID is new and cannot be checked against the recorded one; it is
 * written to a scratch file once to learn it.
 *
 * <ul>
 *   <li>overlay: the {@code diff} directory holds just the layer's changes. A 0/0 character device
 *       is a whiteout and becomes {@code .wh.NAME}; a directory with {@code trusted.overlay.opaque}
 *       or {@code user.overlay.opaque} set to {@code y} gets a {@code .wh..wh..opq} entry; other
 *       overlay-private attributes are dropped. Redirected or metadata-only copies (which only a
 *       mounted overlay can resolve) are refused.
 *   <li>vfs: a layer directory is a full snapshot, so the layer is its difference from the parent
 *       layer's snapshot, as containers/storage's naive differ computes it: entries that are new or
 *       differ in type, mode, owner, size, mtime (not for directories), link target, device or
 *       extended attributes, and a {@code .wh.} entry for each topmost path the parent has and the
 *       layer does not. (A file rewritten with the same size and mtime is not seen as changed.)
 * </ul>
 *
 * Owners of an id-mapped layer (one created for a user namespace) are host ids on disk; they are
 * mapped back to the container ids a tar holds.
 */
final class LayerDirTar {
  private static final String OPAQUE_TRUSTED = "trusted.overlay.opaque";
  private static final String OPAQUE_USER = "user.overlay.opaque";

  private LayerDirTar() {}

  /**
   * Builds the tar of {@code layer} into a scratch file.
   *
   * @param parentDir the parent layer's snapshot (vfs), or null for the bottom layer / overlay
   */
  static TempBlob build(
      Store.Kind kind,
      Path dir,
      Path parentDir,
      LayerRecord layer,
      Map<String, Long> checksums,
      String where,
      Consumer<String> warn)
      throws IOException, IsulaException {
    if (!Files.isDirectory(dir)) {
      throw new InvalidImageException(
          where + ": the layer directory " + dir + " is missing (layer removed or damaged?)");
    }
    if (parentDir != null && !Files.isDirectory(parentDir)) {
      throw new InvalidImageException(
          where + ": the parent layer directory " + parentDir + " is missing");
    }
    IdMapper ids = new IdMapper(layer, where);
    try (TempBlob.Writer w = TempBlob.writer(Compression.NONE, 1)) {
      TarWriter tar = new TarWriter(w.stream());
      EntrySink sink =
          kind == Store.Kind.OVERLAY
              ? new OverlaySink(new Checked(tar, checksums, dir, where), ids, where)
              : new VfsSink(
                  new Checked(tar, checksums, dir, where),
                  ids,
                  parentDir == null ? Map.of() : index(parentDir, warn));
      DirectoryRootfsReader.write(dir, sink, warn);
      if (sink instanceof VfsSink v) {
        v.whiteouts();
      }
      tar.finish();
      return w.finish();
    }
  }

  /** The entries of a snapshot by name, without contents (to compare the child against). */
  private static Map<String, TarEntry> index(Path dir, Consumer<String> warn)
      throws IOException, IsulaException {
    Map<String, TarEntry> out = new TreeMap<>();
    DirectoryRootfsReader.write(
        dir,
        new EntrySink() {
          @Override
          public void write(TarEntry entry, InputStream content) {
            out.put(entry.name(), entry);
          }

          @Override
          public void finish() {}
        },
        warn);
    return out;
  }

  /**
   * Passes entries on, checking each file's content against the CRC-64 the layer's tar-split file
   * records for it, if any (iSulad's list them though they cannot rebuild the tar).
   */
  private static final class Checked implements EntrySink {
    private final TarWriter out;
    private final Map<String, Long> checksums;
    private final Path dir;
    private final String where;

    Checked(TarWriter out, Map<String, Long> checksums, Path dir, String where) {
      this.out = out;
      this.checksums = checksums;
      this.dir = dir;
      this.where = where;
    }

    @Override
    public void write(TarEntry e, InputStream content) throws IOException {
      Long crc = e.type() == EntryType.FILE && e.size() > 0 ? checksums.get(e.name()) : null;
      out.write(e, crc == null ? content : new CrcChecked(content, e.size(), crc, e.name()));
    }

    @Override
    public void finish() {}

    private final class CrcChecked extends InputStream {
      private final InputStream in;
      private final long expected;
      private final String name;
      private final Crc64 crc = new Crc64();
      private long left;

      CrcChecked(InputStream in, long size, long expected, String name) {
        this.in = in;
        this.left = size;
        this.expected = expected;
        this.name = name;
      }

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
          crc.update(b, off, n);
          left -= n;
          if (left == 0 && crc.value() != expected) {
            throw new IOException(
                where
                    + ": "
                    + name
                    + " in "
                    + dir
                    + " does not match the CRC-64 its tar-split records (changed after the layer"
                    + " was stored?)");
          }
        }
        return n;
      }
    }
  }

  /** Maps host ids on disk back to container ids. */
  private static final class IdMapper {
    private final List<IdRange> uids;
    private final List<IdRange> gids;
    private final String where;

    IdMapper(LayerRecord layer, String where) {
      this.uids = layer.uidMap();
      this.gids = layer.gidMap();
      this.where = where;
    }

    TarEntry.Builder apply(TarEntry e, TarEntry.Builder b) throws InvalidImageException {
      return b.uid(map(uids, e.uid(), "uid", e)).gid(map(gids, e.gid(), "gid", e));
    }

    private long map(List<IdRange> ranges, long host, String what, TarEntry e)
        throws InvalidImageException {
      if (ranges.isEmpty()) {
        return host;
      }
      for (IdRange r : ranges) {
        if (host >= r.hostId() && host < r.hostId() + r.size()) {
          return r.containerId() + (host - r.hostId());
        }
      }
      throw new InvalidImageException(
          where
              + ": "
              + e.name()
              + ": host "
              + what
              + " "
              + host
              + " is outside the layer's id map");
    }
  }

  private static final class OverlaySink implements EntrySink {
    private final EntrySink out;
    private final IdMapper ids;
    private final String where;

    OverlaySink(EntrySink out, IdMapper ids, String where) {
      this.out = out;
      this.ids = ids;
      this.where = where;
    }

    @Override
    public void write(TarEntry e, InputStream content) throws IOException, IsulaException {
      Map<String, byte[]> x = e.xattrs();
      if (x.containsKey("trusted.overlay.redirect")
          || x.containsKey("trusted.overlay.metacopy")
          || x.containsKey("user.overlay.redirect")
          || x.containsKey("user.overlay.metacopy")) {
        throw new UnsupportedFormatException(
            where
                + ": "
                + e.name()
                + " is an overlay redirect or metadata-only copy, which cannot be read from the"
                + " layer directory alone");
      }
      boolean opaque =
          e.isDirectory()
              && (Arrays.equals(x.get(OPAQUE_TRUSTED), new byte[] {'y'})
                  || Arrays.equals(x.get(OPAQUE_USER), new byte[] {'y'}));
      TarEntry.Builder b = ids.apply(e, e.toBuilder().clearXattrs());
      x.forEach(
          (k, v) -> {
            if (!k.startsWith("trusted.overlay.") && !k.startsWith("user.overlay.")) {
              b.xattr(k, v);
            }
          });
      if (e.type() == EntryType.CHAR_DEVICE && e.devMajor() == 0 && e.devMinor() == 0) {
        int slash = e.name().lastIndexOf('/');
        String name = e.name().substring(0, slash + 1) + ".wh." + e.name().substring(slash + 1);
        out.write(
            b.name(name).type(EntryType.FILE).mode(0600).device(0, 0).size(0).clearXattrs().build(),
            InputStream.nullInputStream());
        return;
      }
      TarEntry clean = b.build();
      out.write(clean, content);
      if (opaque) {
        out.write(
            TarEntry.builder()
                .name(clean.name() + "/.wh..wh..opq")
                .type(EntryType.FILE)
                .mode(clean.mode() & 0777)
                .uid(clean.uid())
                .gid(clean.gid())
                .mtime(clean.mtimeSeconds(), clean.mtimeNanos())
                .build(),
            InputStream.nullInputStream());
      }
    }

    @Override
    public void finish() {}
  }

  private static final class VfsSink implements EntrySink {
    private final EntrySink out;
    private final IdMapper ids;
    private final Map<String, TarEntry> parent;
    private final Map<String, EntryType> seen = new HashMap<>();
    private final Set<String> written = new HashSet<>();

    VfsSink(EntrySink out, IdMapper ids, Map<String, TarEntry> parent) {
      this.out = out;
      this.ids = ids;
      this.parent = parent;
    }

    @Override
    public void write(TarEntry e, InputStream content) throws IOException, IsulaException {
      seen.put(e.name(), e.type());
      if (unchanged(e)) {
        return;
      }
      written.add(e.name());
      out.write(ids.apply(e, e.toBuilder()).build(), content);
    }

    private boolean unchanged(TarEntry e) {
      TarEntry p = parent.get(e.name());
      if (p == null) {
        return false;
      }
      if (e.type() == EntryType.HARDLINK) {
        // the link must be written with its target when the target is new in this layer
        return p.type() == EntryType.HARDLINK
            && p.linkName().equals(e.linkName())
            && !written.contains(e.linkName());
      }
      if (p.type() != e.type()
          || p.mode() != e.mode()
          || p.uid() != e.uid()
          || p.gid() != e.gid()
          || !p.linkName().equals(e.linkName())
          || p.devMajor() != e.devMajor()
          || p.devMinor() != e.devMinor()
          || !sameXattrs(p, e)) {
        return false;
      }
      return e.isDirectory()
          || (p.size() == e.size()
              && p.mtimeSeconds() == e.mtimeSeconds()
              && p.mtimeNanos() == e.mtimeNanos());
    }

    private static boolean sameXattrs(TarEntry a, TarEntry b) {
      if (!a.xattrs().keySet().equals(b.xattrs().keySet())) {
        return false;
      }
      for (Map.Entry<String, byte[]> x : a.xattrs().entrySet()) {
        if (!Arrays.equals(x.getValue(), b.xattrs().get(x.getKey()))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public void finish() {}

    /** A {@code .wh.} entry for each topmost path of the parent that this layer lacks. */
    void whiteouts() throws IOException, IsulaException {
      for (TarEntry p : parent.values()) {
        String name = p.name();
        if (seen.containsKey(name)) {
          continue;
        }
        int slash = name.lastIndexOf('/');
        String dir = slash < 0 ? "" : name.substring(0, slash);
        if (!dir.isEmpty() && seen.get(dir) != EntryType.DIRECTORY) {
          continue; // its directory went too, or became something else: covered there
        }
        String wh = (dir.isEmpty() ? "" : dir + "/") + ".wh." + name.substring(slash + 1);
        out.write(
            TarEntry.builder()
                .name(wh)
                .type(EntryType.FILE)
                .mode(0600)
                .mtime(p.mtimeSeconds(), p.mtimeNanos())
                .build(),
            InputStream.nullInputStream());
      }
    }
  }
}
