package dev.isula.golden.peers;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.fail;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.RawNames;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compares a flattened rootfs tarball, entry by entry and without extracting it, with a directory
 * that an independent tool (umoci, GNU tar) unpacked from the same image. Every difference is
 * collected; {@link #assertMatches} fails with the whole list.
 *
 * <p>Per tar entry, the same path must exist in the directory with the same type, permission bits
 * (07777), owner ids, size and SHA-256 of content (files), symlink target, device numbers and
 * extended attributes, and the same mtime (seconds and nanoseconds) unless it is a directory. A
 * hardlink entry must be the very inode of its target; two regular-file entries must not be one
 * inode in the directory (that would be a lost hardlink). Conversely every path under the directory
 * must be in the tar.
 *
 * <p>Deliberately not compared, and why:
 *
 * <ul>
 *   <li>The root directory itself ({@code ./} or an empty name): flattening has no entry for it
 *       that would mean anything to an extractor, and the unpack directory's own metadata comes
 *       from the test's temp dir, not from the image.
 *   <li>Directory mtimes: an extractor sets a directory's mtime before creating its children (or
 *       must re-apply it afterwards); umoci 0.4.7 does not reliably restore them, so they carry no
 *       signal about the image.
 *   <li>{@code security.selinux}: set by the host's policy on creation, not by the image.
 *   <li>Header fields of a hardlink entry other than its target (mode, owner, mtime): extractors
 *       (GNU tar, Go archive/tar users such as umoci and containers/storage) ignore them and just
 *       link, so the inode check plus the full comparison of the target entry cover them.
 *   <li>User and group names: an unpacked directory stores only numeric ids.
 * </ul>
 *
 * Symlink targets are compared as the JVM reads them, i.e. after {@link Path} normalisation of
 * repeated and trailing slashes, on both sides.
 */
final class RootfsComparator {
  private static final String SELINUX = "security.selinux";
  private static final int S_IFMT = 0170000;
  private static final int MAX_REPORTED = 300;

  private final Path tar;
  private final Path dir;

  /** Who made the directory, for the messages: "umoci", "GNU tar". */
  private final String ref;

  private final List<String> diffs = new ArrayList<>();
  private final Map<String, EntryType> tarTypes = new HashMap<>();
  private final Map<Long, String> fileInodes = new HashMap<>();
  private final Set<String> covered = new HashSet<>();
  private Map<String, SortedMap<String, byte[]>> dirXattrs;
  private long entries;

  private RootfsComparator(Path tar, Path dir, String ref) {
    this.tar = tar;
    this.dir = dir;
    this.ref = ref;
  }

  /** Fails with every difference between {@code tar} and {@code dir}, labelled. */
  static void assertMatches(Path tar, Path dir, String label) throws IOException {
    assertMatches(tar, dir, label, "umoci");
  }

  /** As {@link #assertMatches(Path, Path, String)}, with {@code dir} made by {@code ref}. */
  static void assertMatches(Path tar, Path dir, String label, String ref) throws IOException {
    RootfsComparator c = new RootfsComparator(tar, dir, ref);
    List<String> d = c.run();
    if (!d.isEmpty()) {
      StringBuilder sb = new StringBuilder();
      sb.append(label)
          .append(": our rootfs tar ")
          .append(tar)
          .append(" differs from ")
          .append(ref)
          .append("'s unpack ")
          .append(dir)
          .append(" in ")
          .append(d.size())
          .append(" place(s):");
      for (int i = 0; i < d.size() && i < MAX_REPORTED; i++) {
        sb.append("\n  ").append(d.get(i));
      }
      if (d.size() > MAX_REPORTED) {
        sb.append("\n  ... and ").append(d.size() - MAX_REPORTED).append(" more");
      }
      fail(sb.toString());
    }
  }

  /** The differences, in tar order, then the paths only the directory has. */
  static List<String> compare(Path tar, Path dir) throws IOException {
    return new RootfsComparator(tar, dir, "umoci").run();
  }

  /** As {@link #compare(Path, Path)}, with {@code dir} made by {@code ref}. */
  static List<String> compare(Path tar, Path dir, String ref) throws IOException {
    return new RootfsComparator(tar, dir, ref).run();
  }

  /** Number of entries in a tar (for sanity checks). */
  static long countEntries(Path tar) throws IOException {
    long n = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tar), 1 << 16)) {
      TarReader r = new TarReader(in);
      while (r.next() != null) {
        n++;
      }
    } catch (IsulaException e) {
      throw new IOException(e.getMessage(), e);
    }
    return n;
  }

  private List<String> run() throws IOException {
    dirXattrs = readXattrs(dir);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tar), 1 << 16)) {
      TarReader r = new TarReader(in);
      TarEntry e;
      while ((e = r.next()) != null) {
        entries++;
        checkEntry(e, r.content());
      }
    } catch (IsulaException e) {
      diffs.add("our tar cannot be read back: " + e.getMessage());
    }
    if (entries == 0) {
      diffs.add("our tar has no entries at all");
    }
    checkNothingMissing();
    return diffs;
  }

  // ---- one tar entry ----

  private void checkEntry(TarEntry e, InputStream content) throws IOException {
    String name = canonical(e.name());
    if (name.isEmpty()) {
      return; // the root directory: not compared, see the class comment
    }
    String shown = TarReader.printable(name);
    if (!covered.add(name)) {
      diffs.add(shown + ": appears more than once in our tar");
      return;
    }
    Path p = dir.resolve(name);
    Map<String, Object> a = attributes(p);
    if (a == null) {
      diffs.add(shown + ": in our tar (" + describe(e) + ") but not in " + ref + "'s rootfs");
      tarTypes.put(name, e.type());
      return;
    }
    int mode = (Integer) a.get("mode");
    EntryType actual = typeOf(mode);
    if (e.type() == EntryType.HARDLINK) {
      checkHardlink(e, name, p, actual, a);
      return;
    }
    tarTypes.put(name, e.type());
    if (actual != e.type()) {
      diffs.add(
          shown
              + ": type ours "
              + e.type()
              + ", "
              + ref
              + " "
              + (actual == null ? String.format("st_mode %o", mode) : actual));
      return;
    }
    if ((mode & 07777) != e.mode()) {
      diffs.add(
          String.format(
              "%s: mode ours %04o, %s %04o (%s)", shown, e.mode(), ref, mode & 07777, actual));
    }
    long uid = ((Number) a.get("uid")).longValue();
    long gid = ((Number) a.get("gid")).longValue();
    if (uid != e.uid() || gid != e.gid()) {
      diffs.add(
          shown + ": owner ours " + e.uid() + ":" + e.gid() + ", " + ref + " " + uid + ":" + gid);
    }
    switch (e.type()) {
      case FILE -> checkFile(e, shown, p, a, content);
      case SYMLINK -> {
        String target = Files.readSymbolicLink(p).toString();
        String ours = Path.of(e.linkName()).toString();
        if (!target.equals(ours)) {
          diffs.add(
              shown + ": symlink target ours '" + e.linkName() + "', " + ref + " '" + target + "'");
        }
      }
      case CHAR_DEVICE, BLOCK_DEVICE -> {
        long rdev = ((Number) a.get("rdev")).longValue();
        int major = (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
        int minor = (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
        if (major != e.devMajor() || minor != e.devMinor()) {
          diffs.add(
              shown
                  + ": device ours "
                  + e.devMajor()
                  + ","
                  + e.devMinor()
                  + ", "
                  + ref
                  + " "
                  + major
                  + ","
                  + minor);
        }
      }
      default -> {}
    }
    if (e.type() != EntryType.DIRECTORY) {
      checkMtime(e, shown, (FileTime) a.get("lastModifiedTime"));
    }
    checkXattrs(e, name, shown);
  }

  private void checkFile(
      TarEntry e, String shown, Path p, Map<String, Object> a, InputStream content)
      throws IOException {
    long size = ((Number) a.get("size")).longValue();
    String ours = sha256(content);
    if (size != e.size()) {
      diffs.add(shown + ": size ours " + e.size() + ", " + ref + " " + size);
    } else {
      String theirs;
      try (InputStream in = Files.newInputStream(p, NOFOLLOW_LINKS)) {
        theirs = sha256(in);
      }
      if (!ours.equals(theirs)) {
        diffs.add(
            shown + ": content differs (sha256 ours " + ours + ", " + ref + " " + theirs + ")");
      }
    }
    long ino = ((Number) a.get("ino")).longValue();
    String other = fileInodes.putIfAbsent(ino, e.name());
    if (other != null) {
      diffs.add(
          shown
              + ": "
              + ref
              + " has it hardlinked to '"
              + TarReader.printable(canonical(other))
              + "' (one inode) but our tar writes two separate files");
    }
  }

  private void checkHardlink(
      TarEntry e, String name, Path p, EntryType actual, Map<String, Object> a) throws IOException {
    String shown = TarReader.printable(name);
    String target = canonical(e.linkName());
    tarTypes.put(name, EntryType.HARDLINK);
    EntryType targetType = tarTypes.get(target);
    if (targetType == null) {
      diffs.add(
          shown
              + ": our hardlink points to '"
              + TarReader.printable(target)
              + "', which is not an earlier entry of our tar");
    } else if (targetType == EntryType.DIRECTORY) {
      diffs.add(shown + ": our hardlink points to a directory '" + target + "'");
    }
    if (actual == EntryType.DIRECTORY) {
      diffs.add(shown + ": hardlink in our tar, directory in " + ref + "'s rootfs");
      return;
    }
    Path t = dir.resolve(target);
    Map<String, Object> ta = attributes(t);
    if (ta == null) {
      diffs.add(
          shown
              + ": our hardlink target '"
              + TarReader.printable(target)
              + "' does not exist in "
              + ref
              + "'s rootfs");
      return;
    }
    if (!ta.get("ino").equals(a.get("ino"))) {
      diffs.add(
          shown
              + ": ours is a hardlink to '"
              + TarReader.printable(target)
              + "', but "
              + ref
              + " has them as different inodes ("
              + actual
              + ", nlink "
              + a.get("nlink")
              + ")");
    }
  }

  private void checkMtime(TarEntry e, String shown, FileTime t) {
    Instant theirs = t.toInstant();
    Instant ours = Instant.ofEpochSecond(e.mtimeSeconds(), e.mtimeNanos());
    if (!ours.equals(theirs)) {
      diffs.add(
          shown
              + ": mtime ours "
              + ours
              + ", "
              + ref
              + " "
              + theirs
              + " ("
              + Duration.between(theirs, ours)
              + " apart)");
    }
  }

  private void checkXattrs(TarEntry e, String name, String shown) {
    SortedMap<String, byte[]> ours = new TreeMap<>(e.xattrs());
    ours.remove(SELINUX);
    SortedMap<String, byte[]> theirs = new TreeMap<>(dirXattrs.getOrDefault(name, new TreeMap<>()));
    theirs.remove(SELINUX);
    Set<String> keys = new TreeSet<>(ours.keySet());
    keys.addAll(theirs.keySet());
    for (String k : keys) {
      byte[] o = ours.get(k);
      byte[] t = theirs.get(k);
      if (o == null || t == null || !Arrays.equals(o, t)) {
        diffs.add(shown + ": xattr " + k + " ours " + hex(o) + ", " + ref + " " + hex(t));
      }
    }
  }

  // ---- the other direction ----

  private void checkNothingMissing() throws IOException {
    List<String> missing = new ArrayList<>();
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            note(d, "directory");
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
            int mode = (Integer) Files.getAttribute(f, "unix:mode", NOFOLLOW_LINKS);
            EntryType t = typeOf(mode);
            note(f, t == null ? String.format("st_mode %o", mode) : t.toString());
            return FileVisitResult.CONTINUE;
          }

          private void note(Path p, String what) {
            if (p.equals(dir)) {
              return; // the root directory itself
            }
            String rel = dir.relativize(p).toString();
            if (!covered.contains(rel)) {
              missing.add(
                  TarReader.printable(rel)
                      + ": in "
                      + ref
                      + "'s rootfs ("
                      + what
                      + ") but not in our tar");
            }
          }
        });
    missing.sort(null);
    diffs.addAll(missing);
  }

  // ---- helpers ----

  /** lstat, or null if the path does not exist (also when a parent is not a directory). */
  private static Map<String, Object> attributes(Path p) throws IOException {
    try {
      return Files.readAttributes(p, "unix:*", NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      if (e.getReason() != null && e.getReason().contains("Not a directory")) {
        return null;
      }
      throw e;
    }
  }

  private static EntryType typeOf(int mode) {
    return switch (mode & S_IFMT) {
      case 0100000 -> EntryType.FILE;
      case 0040000 -> EntryType.DIRECTORY;
      case 0120000 -> EntryType.SYMLINK;
      case 0020000 -> EntryType.CHAR_DEVICE;
      case 0060000 -> EntryType.BLOCK_DEVICE;
      case 0010000 -> EntryType.FIFO;
      default -> null; // sockets and anything else a tar cannot hold
    };
  }

  private static String describe(TarEntry e) {
    return e.type() + (e.linkName().isEmpty() ? "" : " -> " + e.linkName());
  }

  /** {@code ./a//b/} and {@code a/b} name the same path. */
  static String canonical(String name) {
    List<String> parts = new ArrayList<>();
    for (String s : name.split("/")) {
      if (!s.isEmpty() && !s.equals(".")) {
        parts.add(s);
      }
    }
    return String.join("/", parts);
  }

  private static String hex(byte[] b) {
    return b == null ? "(absent)" : "0x" + HexFormat.of().formatHex(b);
  }

  static String sha256(InputStream in) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buf = new byte[1 << 16];
    int n;
    while ((n = in.read(buf)) > 0) {
      md.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  // ---- getfattr ----

  /**
   * Every extended attribute under {@code root}, keyed by relative path ("" for the root), from one
   * {@code getfattr -R -h -d -m - -e hex --absolute-names} run. {@code -h} is essential: without it
   * getfattr reads the attributes of a symlink's target, and an absolute symlink would report the
   * host's file.
   */
  static Map<String, SortedMap<String, byte[]>> readXattrs(Path root) throws IOException {
    Tools.Result r =
        Tools.run(
            List.of(
                "getfattr",
                "-R",
                "-h",
                "-d",
                "-m",
                "-",
                "-e",
                "hex",
                "--absolute-names",
                root.toString()),
            root,
            Map.of(),
            Tools.DEFAULT_TIMEOUT);
    return parseGetfattr(r.stdoutBytes(), root);
  }

  static Map<String, SortedMap<String, byte[]>> parseGetfattr(byte[] output, Path root) {
    Map<String, SortedMap<String, byte[]>> result = new HashMap<>();
    String prefix = root.toString();
    String current = null;
    int start = 0;
    while (start < output.length) {
      int end = start;
      while (end < output.length && output[end] != '\n') {
        end++;
      }
      String line = new String(output, start, end - start, StandardCharsets.ISO_8859_1);
      start = end + 1;
      if (line.isEmpty()) {
        current = null;
        continue;
      }
      if (line.startsWith("# file: ")) {
        String path = unescape(line.substring("# file: ".length()));
        if (path.equals(prefix)) {
          current = "";
        } else if (path.startsWith(prefix + "/")) {
          current = path.substring(prefix.length() + 1);
        } else {
          throw new IllegalStateException("getfattr reported a path outside " + root + ": " + path);
        }
        continue;
      }
      if (current == null) {
        throw new IllegalStateException("unexpected getfattr output line: " + line);
      }
      int eq = line.indexOf('=');
      String key = unescape(eq < 0 ? line : line.substring(0, eq));
      String value = eq < 0 ? "" : line.substring(eq + 1);
      byte[] bytes;
      if (value.isEmpty() || value.equals("\"\"")) {
        bytes = new byte[0];
      } else if (value.startsWith("0x")) {
        bytes = HexFormat.of().parseHex(value.substring(2));
      } else {
        throw new IllegalStateException("getfattr value not in hex: " + line);
      }
      result.computeIfAbsent(current, k -> new TreeMap<>()).put(key, bytes);
    }
    return result;
  }

  /** Undoes getfattr's octal escapes ({@code \012}, {@code \\}) and decodes the bytes as a name. */
  private static String unescape(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == '\\') {
        out.write('\\');
        i++;
      } else if (c == '\\' && isOctal(s, i + 1, 3)) {
        out.write(Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        out.write(c & 0xff);
      }
    }
    return RawNames.decode(out.toByteArray());
  }

  private static boolean isOctal(String s, int from, int n) {
    if (from + n > s.length()) {
      return false;
    }
    for (int i = from; i < from + n; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') {
        return false;
      }
    }
    return true;
  }
}
