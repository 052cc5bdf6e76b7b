package dev.isula.toolkit.rootfs;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.tar.EntrySink;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns a directory tree into rootfs entries, in sorted order (so the same tree always gives the
 * same tar): owners as numeric ids, modes with setuid/setgid/sticky, mtimes, symlink targets,
 * hardlinks (files sharing an inode become links to the first name), device nodes, fifos and
 * extended attributes. Sockets cannot be archived and are skipped with a warning. The root
 * directory itself is not an entry. Symlinks are never followed.
 */
public final class DirectoryRootfsReader {
  private static final String ATTRIBUTES =
      "unix:mode,uid,gid,lastModifiedTime,isDirectory,isSymbolicLink,isRegularFile,nlink,dev,ino,"
          + "size,rdev";

  private static final int S_IFMT = 0170000;
  private static final int S_IFIFO = 0010000;
  private static final int S_IFCHR = 0020000;
  private static final int S_IFBLK = 0060000;
  private static final int S_IFSOCK = 0140000;

  private final Path root;
  private final Consumer<String> warn;
  private final Map<String, String> inodes = new HashMap<>();
  private Map<String, Map<String, byte[]>> xattrs;
  private long sockets;
  private long entries;

  private DirectoryRootfsReader(Path root, Consumer<String> warn) {
    this.root = root;
    this.warn = warn == null ? s -> {} : warn;
  }

  /**
   * Writes every entry under {@code dir} to {@code sink} (without calling {@link
   * EntrySink#finish()}).
   *
   * @return the number of entries written
   */
  public static long write(Path dir, EntrySink sink, Consumer<String> warn)
      throws IOException, IsulaException {
    DirectoryRootfsReader r = new DirectoryRootfsReader(dir.toRealPath(), warn);
    r.xattrs = XattrReader.readTree(r.root);
    r.walk(r.root, "", sink);
    if (r.sockets > 0) {
      r.warn.accept("warning: " + r.sockets + " sockets skipped (tar cannot hold them)");
    }
    return r.entries;
  }

  private void walk(Path dir, String prefix, EntrySink sink) throws IOException, IsulaException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      s.forEach(children::add);
    }
    children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
    for (Path child : children) {
      String base = child.getFileName().toString();
      if (base.indexOf('\uFFFD') >= 0) {
        throw new UnsupportedFormatException(
            child
                + ": this file name is not valid in the JVM's file name encoding ("
                + System.getProperty("sun.jnu.encoding")
                + ") and would be changed; run with a UTF-8 locale (LC_ALL=C.UTF-8), or import a"
                + " tarball of the directory instead (tar -C DIR -c . | isula import - ...)");
      }
      String name = prefix + base;
      // the attributes used below only: "unix:*" would also look up owner and group names
      // (getpwuid/getgrgid for every file)
      Map<String, Object> a = Files.readAttributes(child, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      int fmt = mode & S_IFMT;
      TarEntry.Builder b =
          TarEntry.builder()
              .name(name)
              .mode(mode & 07777)
              .uid((Integer) a.get("uid"))
              .gid((Integer) a.get("gid"));
      FileTime mtime = (FileTime) a.get("lastModifiedTime");
      java.time.Instant t = mtime.toInstant();
      b.mtime(t.getEpochSecond(), t.getNano());
      Map<String, byte[]> x = xattrs.get(child.toString());
      if (x != null) {
        x.forEach(b::xattr);
      }
      boolean isDir = (Boolean) a.get("isDirectory");
      boolean isLink = (Boolean) a.get("isSymbolicLink");
      boolean isFile = (Boolean) a.get("isRegularFile");
      if (isDir) {
        sink.write(b.type(EntryType.DIRECTORY).build(), InputStream.nullInputStream());
        entries++;
        walk(child, name + "/", sink);
        continue;
      }
      if (isLink) {
        b.type(EntryType.SYMLINK).linkName(Files.readSymbolicLink(child).toString());
      } else if (isFile) {
        int nlink = (Integer) a.get("nlink");
        if (nlink > 1) {
          String key = a.get("dev") + ":" + a.get("ino");
          String first = inodes.putIfAbsent(key, name);
          if (first != null) {
            sink.write(
                b.type(EntryType.HARDLINK).linkName(first).clearXattrs().build(),
                InputStream.nullInputStream());
            entries++;
            continue;
          }
        }
        long size = (Long) a.get("size");
        b.type(EntryType.FILE).size(size);
        try (InputStream in = Files.newInputStream(child, LinkOption.NOFOLLOW_LINKS)) {
          sink.write(b.build(), new ExactLengthInputStream(in, size, name));
        }
        entries++;
        continue;
      } else if (fmt == S_IFIFO) {
        b.type(EntryType.FIFO);
      } else if (fmt == S_IFCHR || fmt == S_IFBLK) {
        long rdev = (Long) a.get("rdev");
        int major = (int) (((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffL));
        int minor = (int) ((rdev & 0xff) | ((rdev >> 12) & ~0xffL));
        b.type(fmt == S_IFCHR ? EntryType.CHAR_DEVICE : EntryType.BLOCK_DEVICE)
            .device(major, minor);
      } else if (fmt == S_IFSOCK) {
        sockets++;
        continue;
      } else {
        throw new IOException(
            child + ": unsupported file type (mode " + Integer.toOctalString(mode) + ")");
      }
      sink.write(b.build(), InputStream.nullInputStream());
      entries++;
    }
  }

  /** Guards against files that change size while being archived. */
  private static final class ExactLengthInputStream extends InputStream {
    private final InputStream in;
    private final String name;
    private long left;

    ExactLengthInputStream(InputStream in, long size, String name) {
      this.in = in;
      this.left = size;
      this.name = name;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new IOException(name + ": file shrank while it was being read");
      }
      left -= n;
      return n;
    }
  }
}
