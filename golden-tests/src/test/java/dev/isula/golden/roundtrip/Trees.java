package dev.isula.golden.roundtrip;

import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarListing;
import dev.isula.toolkit.tar.TarReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/** Listings of rootfs tarballs and directory trees, for comparing round trips. */
final class Trees {
  private Trees() {}

  /**
   * A listing of a rootfs tarball that a directory holding the same tree gives too: one line per
   * path, sorted by name, without user and group names, hardlinks shown as the file they share
   * (type, mode, owner, size, mtime, content, xattrs of their target), followed by one line per
   * group of hardlinked names.
   *
   * <p>Why: a rootfs kept as a directory is turned back into a tar by walking the directory, which
   * records numeric owners only (no uname/gname), lists entries in name order (not the flattened
   * export's order), and makes the first name of a hardlinked inode <em>in name order</em> the file
   * and the others links to it, where the export may have chosen another name of the same inode.
   * None of that changes the extracted filesystem, which is what this listing describes.
   */
  static String canonicalListing(byte[] tar) throws Exception {
    Map<String, TarEntry> entries = new HashMap<>();
    Map<String, String> sha = new HashMap<>();
    List<String> order = new ArrayList<>();
    TarReader reader = new TarReader(new ByteArrayInputStream(tar));
    TarEntry e;
    while ((e = reader.next()) != null) {
      String name = normalize(e.name());
      String hex = "-";
      if (e.isFile()) {
        hex = Digest.sha256(reader.content().readAllBytes()).hex();
      }
      if (!entries.containsKey(name)) {
        order.add(name);
      }
      entries.put(name, e);
      sha.put(name, hex);
    }
    Map<String, String> root = new HashMap<>();
    TreeMap<String, String> lines = new TreeMap<>();
    for (String name : order) {
      String target = name;
      TarEntry t = entries.get(name);
      int hops = 0;
      while (t.type() == EntryType.HARDLINK) {
        target = normalize(t.linkName());
        t = entries.get(target);
        if (t == null || ++hops > 100) {
          throw new IllegalStateException("hardlink " + name + " to a missing entry " + target);
        }
      }
      if (!target.equals(name)) {
        root.put(name, target);
        root.putIfAbsent(target, target);
      }
      TarEntry shown = t.toBuilder().name(name).uname("").gname("").build();
      lines.put(name, TarListing.line(shown, sha.get(target)));
    }
    StringBuilder sb = new StringBuilder();
    lines.values().forEach(l -> sb.append(l).append('\n'));
    Map<String, TreeSet<String>> groups = new TreeMap<>();
    root.forEach((n, r) -> groups.computeIfAbsent(r, k -> new TreeSet<>()).add(n));
    new TreeSet<>(groups.values().stream().map(g -> String.join(" ", g)).toList())
        .forEach(g -> sb.append("hardlinked: ").append(g).append('\n'));
    return sb.toString();
  }

  private static String normalize(String name) {
    String n = name;
    while (n.startsWith("./") || n.startsWith("/")) {
      n = n.substring(n.indexOf('/') + 1);
    }
    while (n.endsWith("/")) {
      n = n.substring(0, n.length() - 1);
    }
    return n.replaceAll("/+", "/");
  }

  /** The names of the entries of a tarball, in order. */
  static List<String> names(byte[] tar) throws Exception {
    List<String> out = new ArrayList<>();
    TarReader reader = new TarReader(new ByteArrayInputStream(tar));
    TarEntry e;
    while ((e = reader.next()) != null) {
      out.add(e.name());
    }
    return out;
  }

  /** The content of one regular file of a tarball, or null. */
  static byte[] fileContent(byte[] tar, String name) throws Exception {
    TarReader reader = new TarReader(new ByteArrayInputStream(tar));
    TarEntry e;
    byte[] found = null;
    while ((e = reader.next()) != null) {
      if (normalize(e.name()).equals(name) && e.isFile()) {
        try (InputStream in = reader.content()) {
          found = in.readAllBytes();
        }
      }
    }
    return found;
  }

  /**
   * A directory tree as sorted lines, path to type, permission bits, numeric owner, and content
   * digest, symlink target or device numbers. Modification times are left out, so the snapshot
   * tells whether anything was created, removed or changed in content or attributes.
   */
  static TreeMap<String, String> snapshot(Path dir) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        String rel = dir.relativize(p).toString();
        out.put(rel.isEmpty() ? "." : rel, describe(p));
      }
    }
    return out;
  }

  /** One path: type, mode, owner and content, as {@link #snapshot} shows it. */
  static String describe(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) a.get("mode");
    String owner = a.get("uid") + ":" + a.get("gid");
    String perm = String.format("%04o", mode & 07777);
    int fmt = mode & 0170000;
    if (Files.isSymbolicLink(p)) {
      return "l " + owner + " -> " + Files.readSymbolicLink(p);
    }
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return "d " + perm + " " + owner;
    }
    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      return "f "
          + perm
          + " "
          + owner
          + " "
          + a.get("size")
          + " "
          + Digest.sha256(Files.readAllBytes(p)).hex();
    }
    String kind =
        switch (fmt) {
          case 0010000 -> "p";
          case 0020000 -> "c";
          case 0060000 -> "b";
          case 0140000 -> "s";
          default -> "?" + Integer.toOctalString(fmt);
        };
    return kind + " " + perm + " " + owner + " rdev=" + a.get("rdev");
  }

  /**
   * A tarball described as {@link #snapshot} describes the tree it extracts to (without the root
   * "." line): hardlinks as the file they point at, names normalised.
   */
  static TreeMap<String, String> tarSnapshot(byte[] tar) throws Exception {
    Map<String, String> byName = new HashMap<>();
    Map<String, String> links = new HashMap<>();
    TarReader reader = new TarReader(new ByteArrayInputStream(tar));
    TarEntry e;
    while ((e = reader.next()) != null) {
      String name = normalize(e.name());
      if (name.isEmpty()) {
        continue;
      }
      String owner = e.uid() + ":" + e.gid();
      String perm = String.format("%04o", e.mode() & 07777);
      long rdev =
          ((e.devMajor() & 0xfffL) << 8)
              | (e.devMinor() & 0xffL)
              | ((e.devMinor() & ~0xffL) << 12)
              | ((e.devMajor() & ~0xfffL) << 32);
      String d =
          switch (e.type()) {
            case DIRECTORY -> "d " + perm + " " + owner;
            case FILE ->
                "f "
                    + perm
                    + " "
                    + owner
                    + " "
                    + e.size()
                    + " "
                    + Digest.sha256(reader.content().readAllBytes()).hex();
            case SYMLINK -> "l " + owner + " -> " + e.linkName();
            case FIFO -> "p " + perm + " " + owner + " rdev=0";
            case CHAR_DEVICE -> "c " + perm + " " + owner + " rdev=" + rdev;
            case BLOCK_DEVICE -> "b " + perm + " " + owner + " rdev=" + rdev;
            case HARDLINK -> null;
          };
      if (d == null) {
        links.put(name, normalize(e.linkName()));
      } else {
        byName.put(name, d);
      }
    }
    links.forEach(
        (name, target) -> {
          String t = target;
          while (links.containsKey(t)) {
            t = links.get(t);
          }
          byName.put(name, byName.get(t));
        });
    return new TreeMap<>(byName);
  }

  /** {@link #snapshot} without the root directory's own line. */
  static TreeMap<String, String> snapshotBelowRoot(Path dir) throws IOException {
    TreeMap<String, String> s = snapshot(dir);
    s.remove(".");
    return s;
  }

  /** A digest over the snapshot of a tree (names, types, modes, owners, contents). */
  static String checksum(Path dir) throws IOException {
    StringBuilder sb = new StringBuilder();
    snapshot(dir).forEach((k, v) -> sb.append(k).append('\t').append(v).append('\n'));
    return Digest.sha256(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)).hex();
  }
}
