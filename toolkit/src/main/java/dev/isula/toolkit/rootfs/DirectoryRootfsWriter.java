package dev.isula.toolkit.rootfs;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsafeEntryException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.io.NamedOutputStream;
import dev.isula.toolkit.tar.EntryNames;
import dev.isula.toolkit.tar.EntrySink;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Extracts a stream of rootfs entries into a directory without ever writing outside it. Every
 * parent must be a directory this writer created itself, so a symlink written earlier is never
 * followed (no writing through links), names with {@code ..} or a leading {@code /} are refused,
 * and a hardlink may only point at a file this writer created.
 *
 * <p>As root it keeps owners, modes (setuid/setgid/sticky included), mtimes, extended attributes,
 * device nodes and fifos. Without root it skips ownership and device nodes and reports what it
 * skipped once, through the warning callback, the way umoci's rootless mode does. Directory modes
 * and mtimes are applied at the end, deepest first, so read-only directories can still be filled.
 */
public final class DirectoryRootfsWriter implements EntrySink {
  private final Path root;
  private final boolean root0;
  private final Consumer<String> warn;
  private final Map<String, EntryType> created = new HashMap<>();
  private final List<TarEntry> directories = new ArrayList<>();
  private final Map<String, Integer> directoryIndex = new HashMap<>();
  private final byte[] buffer = new byte[256 * 1024];
  private long ownersSkipped;
  private long devicesSkipped;
  private final List<String> xattrsFailed = new ArrayList<>();
  private long entries;
  private final long euid;

  /** This process's umask, or -1 if unknown (then every mode is set explicitly). */
  private final int umask;

  /**
   * Owner and group that new entries get, learned from the first one: every parent is a directory
   * this writer made (setgid only if inherited from the target), so they are the same for all.
   */
  private long createdUid = -1;

  private long createdGid = -1;

  /** Fifo and device mtimes still to set: time stamp -> entry name -> path. */
  private final Map<String, Map<String, Path>> pendingTimes = new LinkedHashMap<>();

  private final Map<String, String> pendingStamp = new HashMap<>();

  private DirectoryRootfsWriter(Path root, boolean privileged, Consumer<String> warn) {
    this.root = root;
    this.root0 = privileged;
    this.warn = warn == null ? s -> {} : warn;
    this.euid = ProcessIdentity.effectiveUid();
    this.umask = readUmask();
    created.put("", EntryType.DIRECTORY);
  }

  private static int readUmask() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("Umask:")) {
          return Integer.parseInt(line.substring(6).trim(), 8) & 0777;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or an old kernel: set modes explicitly
    }
    return -1;
  }

  /**
   * A writer into {@code dir}, which must exist and be empty.
   *
   * @param warn receives one summary line about what could not be kept (e.g. when not root)
   */
  public static DirectoryRootfsWriter create(Path dir, Consumer<String> warn) throws IOException {
    return create(dir, ProcessIdentity.isRoot(), warn);
  }

  /** As {@link #create(Path, Consumer)}, choosing explicitly whether to act as root. */
  public static DirectoryRootfsWriter create(Path dir, boolean privileged, Consumer<String> warn)
      throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new java.nio.file.NotDirectoryException(dir.toString());
    }
    try (var s = Files.list(dir)) {
      if (s.findAny().isPresent()) {
        throw new java.nio.file.DirectoryNotEmptyException(dir.toString());
      }
    }
    return new DirectoryRootfsWriter(dir.toRealPath(), privileged, warn);
  }

  /** Entries written so far. */
  public long entries() {
    return entries;
  }

  @Override
  public void write(TarEntry entry, InputStream content) throws IOException, IsulaException {
    String name = EntryNames.normalize(entry.name());
    if (name.isEmpty()) {
      return; // the root directory is the target itself
    }
    if (EntryNames.baseName(name).startsWith(".wh.")) {
      throw new UnsafeEntryException(
          "entry '"
              + TarReader.printable(name)
              + "': whiteout names cannot be part of a root filesystem");
    }
    String parent = EntryNames.parent(name);
    if (created.get(parent) != EntryType.DIRECTORY) {
      throw new UnsafeEntryException(
          "entry '"
              + TarReader.printable(name)
              + "': parent '"
              + TarReader.printable(parent)
              + "' is not a directory of this rootfs; refusing to write through it");
    }
    Path path = resolve(name);
    EntryType existing = created.get(name);
    if (existing != null) {
      if (existing == EntryType.DIRECTORY) {
        if (entry.type() != EntryType.DIRECTORY) {
          throw new InvalidImageException(
              "entry '" + TarReader.printable(name) + "' would replace a directory");
        }
      } else {
        Files.delete(path); // a later entry for the same path wins, as in tar
        created.remove(name);
        String stamp = pendingStamp.remove(name);
        if (stamp != null) {
          pendingTimes.get(stamp).remove(name);
        }
        existing = null;
      }
    }
    switch (entry.type()) {
      case DIRECTORY -> {
        if (existing == null) {
          Files.createDirectory(path);
        }
        Integer seen = directoryIndex.get(name);
        if (seen != null) {
          directories.set(seen, entry.withName(name)); // a repeated directory: the last one wins
        } else {
          directoryIndex.put(name, directories.size());
          directories.add(entry.withName(name));
        }
      }
      case FILE -> {
        writeFile(path, entry, content);
        applyAttributes(path, entry);
      }
      case SYMLINK -> {
        Files.createSymbolicLink(path, Path.of(entry.linkName()));
        applyAttributes(path, entry);
      }
      case HARDLINK -> {
        String target = EntryNames.normalizeLinkTarget(name, entry.linkName());
        EntryType t = created.get(target);
        if (t == null || t == EntryType.DIRECTORY) {
          throw new UnsafeEntryException(
              "hardlink '"
                  + TarReader.printable(name)
                  + "' points to '"
                  + TarReader.printable(target)
                  + "', which is not a file of this rootfs");
        }
        Files.createLink(path, resolve(target));
        created.put(name, t);
        entries++;
        return;
      }
      case FIFO -> {
        run(List.of("mkfifo", "--", path.toString()), name);
        applyAttributes(path, entry);
      }
      case CHAR_DEVICE, BLOCK_DEVICE -> {
        if (!root0) {
          devicesSkipped++;
          return;
        }
        run(
            List.of(
                "mknod",
                "--",
                path.toString(),
                entry.type() == EntryType.CHAR_DEVICE ? "c" : "b",
                Integer.toString(entry.devMajor()),
                Integer.toString(entry.devMinor())),
            name);
        applyAttributes(path, entry);
      }
      default -> throw new IllegalStateException("unexpected " + entry.type());
    }
    created.put(name, entry.type());
    entries++;
  }

  private Path resolve(String name) throws UnsupportedFormatException {
    try {
      return root.resolve(name);
    } catch (java.nio.file.InvalidPathException e) {
      throw new UnsupportedFormatException(
          "entry '"
              + TarReader.printable(name)
              + "': this name cannot be written as a file name here (file names are "
              + System.getProperty("sun.jnu.encoding")
              + "; run with a UTF-8 locale such as LC_ALL=C.UTF-8, or use --rootfs-format tar)");
    }
  }

  /**
   * Writes a file's content, leaving every all-zero 4 KiB block of it as a hole, so a sparse file
   * from the layer (a lastlog, a database) is sparse on disk again; the bytes read back are the
   * same either way.
   */
  private void writeFile(Path path, TarEntry entry, InputStream content) throws IOException {
    try (FileChannel out =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS)) {
      long size = entry.size();
      long pos = 0;
      boolean endsInHole = false;
      while (pos < size) {
        int n = content.read(buffer, 0, (int) Math.min(buffer.length, size - pos));
        if (n < 0) {
          throw new EOFException("content of '" + entry.name() + "' ended early");
        }
        int i = 0;
        while (i < n) {
          // pieces end at 4 KiB boundaries of the file
          int piece = (int) Math.min(n - i, HOLE_BLOCK - ((pos + i) % HOLE_BLOCK));
          if (isZero(buffer, i, piece)) {
            i += piece;
            endsInHole = true;
            continue;
          }
          int start = i;
          i += piece;
          while (i < n) {
            int next = (int) Math.min(n - i, HOLE_BLOCK - ((pos + i) % HOLE_BLOCK));
            if (isZero(buffer, i, next)) {
              break;
            }
            i += next;
          }
          writeAt(out, path, buffer, start, i - start, pos + start);
          endsInHole = false;
        }
        pos += n;
      }
      if (endsInHole && size > 0) {
        writeAt(out, path, new byte[1], 0, 1, size - 1); // the file's length, past its last hole
      }
    }
  }

  private static final int HOLE_BLOCK = 4096;
  private static final byte[] ZERO_BLOCK = new byte[HOLE_BLOCK];

  private static boolean isZero(byte[] b, int off, int len) {
    return Arrays.mismatch(b, off, off + len, ZERO_BLOCK, 0, len) < 0;
  }

  private static void writeAt(FileChannel ch, Path path, byte[] b, int off, int len, long at)
      throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(b, off, len);
    try {
      while (buf.hasRemaining()) {
        at += ch.write(buf, at);
      }
    } catch (IOException e) {
      throw NamedOutputStream.named(e, path); // a full disk says where
    }
  }

  private void applyAttributes(Path path, TarEntry e) throws IOException {
    boolean symlink = e.type() == EntryType.SYMLINK;
    boolean chowned = false;
    if (root0) {
      if (createdUid < 0) {
        Map<String, Object> owner =
            Files.readAttributes(path, "unix:uid,gid", LinkOption.NOFOLLOW_LINKS);
        createdUid = ((Number) owner.get("uid")).longValue();
        createdGid = ((Number) owner.get("gid")).longValue();
      }
      // a new entry already has createdUid:createdGid; chown only what differs
      if (e.uid() != createdUid) {
        Files.setAttribute(path, "unix:uid", (int) e.uid(), LinkOption.NOFOLLOW_LINKS);
        chowned = true;
      }
      if (e.gid() != createdGid) {
        Files.setAttribute(path, "unix:gid", (int) e.gid(), LinkOption.NOFOLLOW_LINKS);
        chowned = true;
      }
    } else if (e.uid() != euid) {
      ownersSkipped++;
    }
    if (!symlink && (chowned || !hasCreationMode(e))) {
      // after chown, which clears setuid/setgid. Without NOFOLLOW_LINKS the JDK uses chmod(2) on
      // the path; with it, it would open the file, which blocks on a fifo and opens devices.
      // The path is one this writer just created and it is not a symlink.
      Files.setAttribute(path, "unix:mode", e.mode());
    }
    if (!e.xattrs().isEmpty()) {
      for (String failed : Xattrs.set(path, e.xattrs(), symlink)) {
        xattrsFailed.add(e.name() + " " + failed);
      }
    }
    setMtime(path, e);
  }

  /** True if a file or directory was created with exactly the entry's mode (no chmod needed). */
  private boolean hasCreationMode(TarEntry e) {
    if (umask < 0) {
      return false;
    }
    int base =
        switch (e.type()) {
          case FILE -> 0666;
          case DIRECTORY -> 0777;
          default -> -1;
        };
    return base >= 0 && (e.mode() & 07777) == (base & ~umask);
  }

  private void setMtime(Path path, TarEntry e) throws IOException {
    if (e.type() == EntryType.FIFO || e.type().isDevice()) {
      // the JDK sets times through an open file descriptor: opening a fifo blocks, opening a
      // device talks to its driver. touch -h uses utimensat(2) on the name instead; it runs at
      // the end, once per distinct time (a rootfs's /dev nodes usually share one), since every
      // process started from the JVM costs milliseconds.
      String stamp = "@" + e.mtimeSeconds() + "." + String.format("%09d", e.mtimeNanos());
      pendingTimes.computeIfAbsent(stamp, k -> new LinkedHashMap<>()).put(e.name(), path);
      pendingStamp.put(e.name(), stamp);
      return;
    }
    FileTime t = FileTime.from(java.time.Instant.ofEpochSecond(e.mtimeSeconds(), e.mtimeNanos()));
    // Files and directories are ones this writer created, never symlinks: following costs one
    // lstat less than NOFOLLOW_LINKS (which the JDK checks with an lstat first).
    LinkOption[] follow =
        e.type() == EntryType.FILE || e.type() == EntryType.DIRECTORY
            ? new LinkOption[0]
            : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
    Files.getFileAttributeView(path, BasicFileAttributeView.class, follow).setTimes(t, null, null);
  }

  private static void run(List<String> cmd, String name) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(
            "creating '"
                + TarReader.printable(name)
                + "' with "
                + cmd.get(0)
                + " failed: "
                + out.strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted creating " + name);
    }
  }

  /** Applies directory owners, modes and mtimes, deepest first, then reports what was skipped. */
  @Override
  public void finish() throws IOException {
    for (Map.Entry<String, Map<String, Path>> t : pendingTimes.entrySet()) {
      List<Map.Entry<String, Path>> paths = new ArrayList<>(t.getValue().entrySet());
      for (int from = 0; from < paths.size(); from += 256) {
        List<Map.Entry<String, Path>> batch =
            paths.subList(from, Math.min(paths.size(), from + 256));
        List<String> cmd = new ArrayList<>(List.of("touch", "-h", "-c", "-d", t.getKey(), "--"));
        for (Map.Entry<String, Path> p : batch) {
          cmd.add(p.getValue().toString());
        }
        run(cmd, batch.get(0).getKey());
      }
    }
    pendingTimes.clear();
    pendingStamp.clear();
    for (int i = directories.size() - 1; i >= 0; i--) {
      TarEntry d = directories.get(i);
      applyAttributes(root.resolve(d.name()), d);
    }
    List<String> notes = new ArrayList<>();
    if (ownersSkipped > 0) {
      notes.add(ownersSkipped + " owners not set");
    }
    if (devicesSkipped > 0) {
      notes.add(devicesSkipped + " device nodes skipped");
    }
    if (!xattrsFailed.isEmpty()) {
      notes.add(
          xattrsFailed.size()
              + " extended attributes not set (e.g. "
              + TarReader.printable(xattrsFailed.get(0))
              + ")");
    }
    if (!notes.isEmpty()) {
      warn.accept(
          (root0 ? "warning: " : "warning: not running as root: ")
              + String.join(", ", notes)
              + " in "
              + root);
    }
  }
}
