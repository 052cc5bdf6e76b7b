package dev.isula.golden;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import dev.isula.toolkit.testing.PeerTarListing;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Finds the tarballs a command line run wrote and has each listed by GNU tar and bsdtar ({@link
 * PeerTarListing}), so that every test that runs {@code isula} checks its outputs for free.
 *
 * <p>Before the run, {@link #before} notes what each argument names (a file, a directory, the path
 * inside {@code docker-archive:PATH:TAG} and the like); after a successful run, {@link #check}
 * lists every such file that is new or changed and starts like a tar (plain, gzip, zstd, xz), the
 * tar members of an archive it wrote (a docker-archive's or oci-archive's layers), and the changed
 * tar files of a directory it wrote: {@code empty.tar} and {@code rootfs.tar} of a split output,
 * the layer blobs of an OCI layout. Each distinct content is listed once per JVM.
 */
public final class WrittenTars {
  private static final int HEAD = 1024;

  private final Map<Path, Object> seen = new LinkedHashMap<>();

  /** When the run started: a directory's files modified since were written by it. */
  private final long startMillis = System.currentTimeMillis() - 1;

  private WrittenTars() {}

  /** Notes the state of the paths {@code args} may name, before the command runs. */
  public static WrittenTars before(List<String> args, Path cwd) {
    WrittenTars w = new WrittenTars();
    for (String a : args) {
      for (Path p : candidates(a, cwd)) {
        w.seen.put(p, stamp(p));
      }
    }
    return w;
  }

  /** Lists the tars the successful command wrote; throws AssertionError naming a bad one. */
  public void check() {
    for (Map.Entry<Path, Object> e : seen.entrySet()) {
      Path p = e.getKey();
      if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        if (!Objects.equals(e.getValue(), stamp(p))) {
          checkFile(p);
        }
      } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        checkDirectory(p, startMillis);
      }
    }
  }

  /** The paths an argument may stand for: itself, and what follows a transport prefix. */
  private static List<Path> candidates(String arg, Path cwd) {
    List<Path> out = new ArrayList<>();
    if (arg.isEmpty() || arg.equals("-") || arg.startsWith("-")) {
      return out;
    }
    String rest = arg;
    int colon = arg.indexOf(':');
    if (colon > 0 && arg.substring(0, colon).matches("[a-z][a-z-]*")) {
      rest = arg.substring(colon + 1);
    }
    // docker-archive:PATH:NAME:TAG — every prefix of PATH:NAME:TAG ending before a colon
    for (int i = rest.indexOf(':'); ; i = rest.indexOf(':', i + 1)) {
      String p = i < 0 ? rest : rest.substring(0, i);
      if (!p.isEmpty()) {
        try {
          out.add(cwd.resolve(p).normalize());
        } catch (RuntimeException invalid) {
          // not a path
        }
      }
      if (i < 0) {
        break;
      }
    }
    if (!rest.equals(arg)) {
      try {
        out.add(cwd.resolve(arg).normalize());
      } catch (RuntimeException invalid) {
        // not a path
      }
    }
    return out;
  }

  /** What identifies a version of the file: its inode, size and mtime; null if absent. */
  private static Object stamp(Path p) {
    try {
      BasicFileAttributes a =
          Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isRegularFile()) {
        return a.isDirectory() ? "dir" : "other";
      }
      return List.of(String.valueOf(a.fileKey()), a.size(), a.lastModifiedTime().toMillis());
    } catch (IOException e) {
      return null;
    }
  }

  private static void checkFile(Path p) {
    if (!isTar(p)) {
      return;
    }
    PeerTarListing.check(p);
    checkMembers(p);
  }

  /** The tar members of an archive (the layers of a docker-archive or oci-archive). */
  private static void checkMembers(Path archive) {
    byte[] head = new byte[HEAD];
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
      int n = in.readNBytes(head, 0, HEAD);
      if (n < 262
          || !new String(head, 257, 5, java.nio.charset.StandardCharsets.ISO_8859_1)
              .equals("ustar")) {
        return; // only an uncompressed archive holds layers as members
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
      TarReader r = new TarReader(in);
      TarEntry e;
      while ((e = r.next()) != null) {
        if (!e.isFile() || e.size() < 512) {
          continue;
        }
        InputStream content = r.content();
        byte[] b = content.readAllBytes();
        if (PeerTarListing.looksLikeTar(b, Math.min(b.length, HEAD))) {
          PeerTarListing.checkLayer(b, e.name() + " in " + archive);
        }
      }
    } catch (IsulaException | IOException ex) {
      throw new AssertionError(archive + " cannot be read back: " + ex.getMessage(), ex);
    }
  }

  /** A written directory: a split output's tars, an OCI layout's blobs. */
  private static void checkDirectory(Path dir, long since) {
    for (String name : List.of("empty.tar", "rootfs.tar")) {
      Path f = dir.resolve(name);
      if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)
          && modifiedSince(f, since)
          && isTar(f)) {
        PeerTarListing.check(f);
      }
    }
    Path blobs = dir.resolve("blobs");
    if (!Files.isDirectory(blobs) || !Files.isRegularFile(dir.resolve("oci-layout"))) {
      return;
    }
    try (Stream<Path> files = Files.walk(blobs, 2)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (modifiedSince(f, since) && isTar(f)) {
          PeerTarListing.checkLayer(f);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean modifiedSince(Path f, long since) {
    try {
      return Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS).toMillis() >= since;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isTar(Path f) {
    try (InputStream in = Files.newInputStream(f)) {
      byte[] head = in.readNBytes(HEAD);
      return PeerTarListing.looksLikeTar(head, head.length);
    } catch (IOException e) {
      return false;
    }
  }
}
