package dev.isula.golden.peers;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.isula.toolkit.tar.TarReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Compares two unpacked directories file by file, as {@link RootfsComparator} compares a tar with a
 * directory: type, permission bits (07777), owner ids, size and SHA-256 of files, symlink target,
 * device numbers, extended attributes (but {@code security.selinux}), mtime with nanoseconds, and
 * which paths are one inode (hardlinks). Directory mtimes and the root directory are not compared,
 * for the reasons {@link RootfsComparator} gives.
 */
final class TreeComparator {
  private static final String SELINUX = "security.selinux";
  private static final int S_IFMT = 0170000;

  private TreeComparator() {}

  /** The differences between {@code ours} and {@code theirs} (made by {@code ref}), sorted. */
  static List<String> compare(Path ours, Path theirs, String ref) throws IOException {
    Map<String, Map<String, Object>> a = lstatAll(ours);
    Map<String, Map<String, Object>> b = lstatAll(theirs);
    Map<String, SortedMap<String, byte[]>> ax = RootfsComparator.readXattrs(ours);
    Map<String, SortedMap<String, byte[]>> bx = RootfsComparator.readXattrs(theirs);
    Map<String, TreeSet<String>> aLinks = inodeGroups(a);
    Map<String, TreeSet<String>> bLinks = inodeGroups(b);
    List<String> diffs = new ArrayList<>();
    TreeSet<String> all = new TreeSet<>(a.keySet());
    all.addAll(b.keySet());
    for (String p : all) {
      String shown = TarReader.printable(p);
      Map<String, Object> o = a.get(p);
      Map<String, Object> t = b.get(p);
      if (o == null || t == null) {
        diffs.add(
            shown
                + ": "
                + (o == null ? "only in " + ref + "'s tree (" : "only in ours (")
                + type(o == null ? t : o)
                + ")");
        continue;
      }
      int om = (Integer) o.get("mode");
      int tm = (Integer) t.get("mode");
      if ((om & S_IFMT) != (tm & S_IFMT)) {
        diffs.add(shown + ": type ours " + type(o) + ", " + ref + " " + type(t));
        continue;
      }
      if ((om & 07777) != (tm & 07777)) {
        diffs.add(String.format("%s: mode ours %04o, %s %04o", shown, om & 07777, ref, tm & 07777));
      }
      if (!o.get("uid").equals(t.get("uid")) || !o.get("gid").equals(t.get("gid"))) {
        diffs.add(
            shown
                + ": owner ours "
                + o.get("uid")
                + ":"
                + o.get("gid")
                + ", "
                + ref
                + " "
                + t.get("uid")
                + ":"
                + t.get("gid"));
      }
      switch (type(o)) {
        case "file" -> {
          long os = ((Number) o.get("size")).longValue();
          long ts = ((Number) t.get("size")).longValue();
          if (os != ts) {
            diffs.add(shown + ": size ours " + os + ", " + ref + " " + ts);
          } else if (!sha256(ours.resolve(p)).equals(sha256(theirs.resolve(p)))) {
            diffs.add(shown + ": content differs");
          }
          if (!Objects.equals(aLinks.get(p), bLinks.get(p))) {
            diffs.add(
                shown
                    + ": hardlinked with "
                    + (aLinks.containsKey(p) ? aLinks.get(p) : "nothing")
                    + " in ours, with "
                    + (bLinks.containsKey(p) ? bLinks.get(p) : "nothing")
                    + " in "
                    + ref
                    + "'s tree");
          }
        }
        case "symlink" -> {
          String ol = Files.readSymbolicLink(ours.resolve(p)).toString();
          String tl = Files.readSymbolicLink(theirs.resolve(p)).toString();
          if (!ol.equals(tl)) {
            diffs.add(shown + ": symlink target ours '" + ol + "', " + ref + " '" + tl + "'");
          }
        }
        case "char device", "block device" -> {
          if (!o.get("rdev").equals(t.get("rdev"))) {
            diffs.add(shown + ": rdev ours " + o.get("rdev") + ", " + ref + " " + t.get("rdev"));
          }
        }
        default -> {}
      }
      if (!type(o).equals("directory")) {
        FileTime ot = (FileTime) o.get("lastModifiedTime");
        FileTime tt = (FileTime) t.get("lastModifiedTime");
        if (!ot.toInstant().equals(tt.toInstant())) {
          diffs.add(shown + ": mtime ours " + ot.toInstant() + ", " + ref + " " + tt.toInstant());
        }
      }
      SortedMap<String, byte[]> oa = new TreeMap<>(ax.getOrDefault(p, new TreeMap<>()));
      SortedMap<String, byte[]> ta = new TreeMap<>(bx.getOrDefault(p, new TreeMap<>()));
      oa.remove(SELINUX);
      ta.remove(SELINUX);
      TreeSet<String> keys = new TreeSet<>(oa.keySet());
      keys.addAll(ta.keySet());
      for (String k : keys) {
        if (!Arrays.equals(oa.get(k), ta.get(k))) {
          diffs.add(
              shown
                  + ": xattr "
                  + k
                  + " ours "
                  + hex(oa.get(k))
                  + ", "
                  + ref
                  + " "
                  + hex(ta.get(k)));
        }
      }
    }
    return diffs;
  }

  /** lstat of every path under {@code root} (not the root itself), by relative path. */
  static Map<String, Map<String, Object>> lstatAll(Path root) throws IOException {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (!p.equals(root)) {
          out.put(root.relativize(p).toString(), Files.readAttributes(p, "unix:*", NOFOLLOW_LINKS));
        }
      }
    }
    return out;
  }

  /** For each regular file with more than one link, the paths that share its inode. */
  private static Map<String, TreeSet<String>> inodeGroups(Map<String, Map<String, Object>> stat) {
    Map<Object, TreeSet<String>> byInode = new TreeMap<>();
    for (Map.Entry<String, Map<String, Object>> e : stat.entrySet()) {
      if (type(e.getValue()).equals("file")) {
        byInode.computeIfAbsent(e.getValue().get("ino"), k -> new TreeSet<>()).add(e.getKey());
      }
    }
    Map<String, TreeSet<String>> out = new TreeMap<>();
    for (TreeSet<String> group : byInode.values()) {
      if (group.size() > 1) {
        for (String p : group) {
          out.put(p, group);
        }
      }
    }
    return out;
  }

  static String type(Map<String, Object> a) {
    return switch ((Integer) a.get("mode") & S_IFMT) {
      case 0100000 -> "file";
      case 0040000 -> "directory";
      case 0120000 -> "symlink";
      case 0020000 -> "char device";
      case 0060000 -> "block device";
      case 0010000 -> "fifo";
      default -> String.format("st_mode %o", (Integer) a.get("mode"));
    };
  }

  private static String sha256(Path p) throws IOException {
    try (InputStream in = Files.newInputStream(p, NOFOLLOW_LINKS)) {
      return RootfsComparator.sha256(in);
    }
  }

  private static String hex(byte[] b) {
    return b == null ? "(absent)" : "0x" + HexFormat.of().formatHex(b);
  }
}
