package dev.isula.golden.peers;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Compares two rootfs tarballs as the trees they extract to, without extracting them: per path the
 * type, permission bits, owner ids, size and SHA-256 of content, symlink target, device numbers,
 * mtime (directories included) and extended attributes; and which paths are one inode (hardlinks),
 * whatever entry of a group the tar happens to write first. A hardlink entry is given the metadata
 * of the file it links to, as an extractor does: one inode has one set of metadata.
 *
 * <p>The root directory is not compared (an export writes it or not, and it takes the metadata of
 * wherever it is extracted).
 */
final class RootfsTarDiff {
  /** One extracted path. */
  record Node(
      EntryType type,
      int mode,
      long uid,
      long gid,
      long size,
      String sha256,
      String link,
      int major,
      int minor,
      long mtimeSeconds,
      int mtimeNanos,
      SortedMap<String, String> xattrs) {

    String describe(String what) {
      return switch (what) {
        case "type" -> type.toString();
        case "mode" -> String.format("%04o", mode);
        case "owner" -> uid + ":" + gid;
        case "content" -> size + " bytes sha256:" + sha256.substring(0, 12);
        case "link" -> "'" + link + "'";
        case "device" -> major + "," + minor;
        case "mtime" -> mtimeSeconds + "." + String.format("%09d", mtimeNanos);
        case "xattrs" -> xattrs.toString();
        default -> throw new IllegalArgumentException(what);
      };
    }
  }

  /** The paths of a tarball, and for each path the other paths that are the same inode. */
  record Tree(SortedMap<String, Node> nodes, Map<String, SortedSet<String>> inodes) {}

  private RootfsTarDiff() {}

  static String canonical(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    n = n.replaceAll("/+", "/");
    if (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n.equals(".") ? "" : n;
  }

  static Tree read(Path tar) throws IOException {
    SortedMap<String, Node> nodes = new TreeMap<>();
    Map<String, SortedSet<String>> inodes = new TreeMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tar), 1 << 16)) {
      TarReader r = new TarReader(in);
      TarEntry e;
      while ((e = r.next()) != null) {
        String name = canonical(e.name());
        if (name.isEmpty()) {
          continue;
        }
        if (e.type() == EntryType.HARDLINK) {
          String target = canonical(e.linkName());
          Node t = nodes.get(target);
          if (t == null) {
            throw new AssertionError(tar + ": hardlink " + name + " to a missing " + target);
          }
          nodes.put(name, t);
          SortedSet<String> group = inodes.computeIfAbsent(target, k -> new TreeSet<>(List.of(k)));
          group.add(name);
          inodes.put(name, group);
          continue;
        }
        SortedMap<String, String> x = new TreeMap<>();
        e.xattrs().forEach((k, v) -> x.put(k, HexFormat.of().formatHex(v)));
        nodes.put(
            name,
            new Node(
                e.type(),
                e.mode(),
                e.uid(),
                e.gid(),
                e.size(),
                RootfsComparator.sha256(r.content()),
                e.type() == EntryType.SYMLINK ? e.linkName() : "",
                e.devMajor(),
                e.devMinor(),
                e.mtimeSeconds(),
                e.mtimeNanos(),
                x));
      }
    } catch (IsulaException ex) {
      throw new AssertionError("cannot read " + tar + ": " + ex.getMessage(), ex);
    }
    return new Tree(nodes, inodes);
  }

  /**
   * Every difference between {@code ours} and {@code theirs}, one line each ("PATH: WHAT ours X,
   * PEER Y"), in path order; paths that {@code ignored} accepts are left out on both sides.
   */
  static List<String> diff(Tree ours, Tree theirs, String peer, Predicate<String> ignored) {
    List<String> out = new ArrayList<>();
    SortedSet<String> paths = new TreeSet<>(ours.nodes().keySet());
    paths.addAll(theirs.nodes().keySet());
    for (String p : paths) {
      if (ignored.test(p)) {
        continue;
      }
      Node o = ours.nodes().get(p);
      Node t = theirs.nodes().get(p);
      if (o == null || t == null) {
        out.add(p + ": only in " + (o == null ? peer + "'s" : "our") + " tar");
        continue;
      }
      for (String what :
          List.of("type", "mode", "owner", "content", "link", "device", "mtime", "xattrs")) {
        String a = o.describe(what);
        String b = t.describe(what);
        if (!a.equals(b)) {
          out.add(p + ": " + what + " ours " + a + ", " + peer + " " + b);
        }
      }
      SortedSet<String> ol = ours.inodes().getOrDefault(p, new TreeSet<>(List.of(p)));
      SortedSet<String> tl = theirs.inodes().getOrDefault(p, new TreeSet<>(List.of(p)));
      if (!Objects.equals(ol, tl)) {
        out.add(p + ": inode shared with ours " + ol + ", " + peer + " " + tl);
      }
    }
    return out;
  }
}
