package dev.isula.golden.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The directories of one hostile case:
 *
 * <pre>
 *   tmp/                 the test's temporary directory; must hold nothing but base/ and runs/
 *   tmp/base/in/         the crafted inputs (read-only: checksummed before and after)
 *   tmp/base/out/        where outputs go: export.tar, split/, layout/, image.tar
 *   tmp/base/sentinel/   a directory beside the target, holding one file, that must not change
 *   tmp/base/store/      the local store of load cases (pre-loaded with one image)
 *   tmp/base/scratch/    $TMPDIR / java.io.tmpdir of the run: must be empty afterwards
 *   tmp/runs/            child-JVM bookkeeping (stdout, stderr)
 *   /tmp/isula-hostile-canary-PID   what absolute and climbing names aim at; must never appear
 * </pre>
 */
final class Workspace {
  /** Aimed at by absolute names, outside symlinks and climbs; must never come into existence. */
  static final Path CANARY = Path.of("/tmp/isula-hostile-canary-" + ProcessHandle.current().pid());

  final Path tmp;
  final Path base;
  final Path in;
  final Path out;
  final Path sentinel;
  final Path store;
  final Path scratch;
  final Path runs;

  Workspace(Path tmp) throws IOException {
    this.tmp = tmp;
    this.base = Files.createDirectories(tmp.resolve("base"));
    this.in = Files.createDirectories(base.resolve("in"));
    this.out = Files.createDirectories(base.resolve("out"));
    this.sentinel = Files.createDirectories(base.resolve("sentinel"));
    Files.writeString(sentinel.resolve("keep"), "sentinel\n");
    this.store = base.resolve("store");
    this.scratch = Files.createDirectories(base.resolve("scratch"));
    this.runs = Files.createDirectories(tmp.resolve("runs"));
  }

  // ---------------------------------------------------------------- hostile names and targets

  /** The canary as an absolute name. */
  static String canary() {
    return CANARY.toString();
  }

  /** The canary as an absolute name without the leading slash, for climbs. */
  static String canaryBelowRoot() {
    return CANARY.toString().substring(1);
  }

  /** A relative name that climbs from any extraction directory to the canary. */
  static String climbToCanary(String leaf) {
    return "../".repeat(40) + canaryBelowRoot() + "/" + leaf;
  }

  // ---------------------------------------------------------------- outputs

  Path exportTar() {
    return out.resolve("export.tar");
  }

  Path splitDir() {
    return out.resolve("split");
  }

  Path splitRootfs() {
    return splitDir().resolve("rootfs");
  }

  Path importLayout() {
    return out.resolve("layout");
  }

  Path importArchive() {
    return out.resolve("image.tar");
  }

  // ---------------------------------------------------------------- writing inputs

  Path file(String name, byte[] content) throws IOException {
    Path p = in.resolve(name);
    Files.createDirectories(p.getParent());
    return Files.write(p, content);
  }

  /** A directory of files (an OCI layout). */
  Path dir(String name, Map<String, byte[]> files) throws IOException {
    Path d = in.resolve(name);
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Path p = d.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, f.getValue());
    }
    return d;
  }

  /** A tar of files, parents first, in map order. */
  Path tar(String name, Map<String, byte[]> files) throws IOException {
    Path p = in.resolve(name);
    TestImage.writeTar(p, files);
    return p;
  }

  String oci(Img img) throws IOException {
    return "oci:" + dir("layout", img.oci()) + ":" + Img.TAG;
  }

  String ociArchive(Img img) throws IOException {
    return "oci-archive:" + tar("oci.tar", img.oci());
  }

  String docker(Img img) throws IOException {
    return "docker-archive:" + tar("docker.tar", img.docker());
  }

  /** A good, small image. */
  static Img goodImage() {
    return Img.of(
        TarBuilder.tar()
            .dir("etc")
            .file("etc/hostname", "good\n")
            .file("etc/motd", "hi\n")
            .build());
  }

  /**
   * A valid {@code export --split} pair of a good image in {@code in/pair}: the empty.tar of
   * hostile import --rootfs cases. Returns the pair's directory.
   */
  Path splitPair() throws IOException {
    Path image = tar("good-docker.tar", goodImage().docker());
    Path pair = in.resolve("pair");
    HostileCli.Run r =
        HostileCli.inProcess(
            List.of("export", "-q", "--split", "docker-archive:" + image, pair.toString()),
            scratch);
    assertEquals(0, r.exitCode(), r::toString);
    return pair;
  }

  /** Loads a good image into the store, so load cases start from a non-empty store. */
  void prepareStore() throws IOException {
    Path image = runs.resolve("store-seed.tar");
    TestImage.writeTar(image, goodImage().docker());
    HostileCli.Run r =
        HostileCli.inProcess(
            List.of("load", "-q", "--root", store.toString(), "-i", "docker-archive:" + image),
            scratch);
    assertEquals(0, r.exitCode(), r::toString);
  }

  // ---------------------------------------------------------------- reading results

  /** The entries of a tarball (names as stored), with file contents. */
  static Map<String, byte[]> tarFiles(Path tar) throws Exception {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tar), 1 << 16)) {
      TarReader r = new TarReader(in);
      TarEntry e;
      while ((e = r.next()) != null) {
        out.put(e.name(), e.isFile() ? r.content().readAllBytes() : null);
      }
    }
    return out;
  }

  static List<TarEntry> tarEntries(Path tar) throws Exception {
    List<TarEntry> out = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tar), 1 << 16)) {
      TarReader r = new TarReader(in);
      TarEntry e;
      while ((e = r.next()) != null) {
        out.add(e);
      }
    }
    return out;
  }

  /** Relative paths of a directory tree (symlinks not followed), sorted. */
  static List<String> tree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * Everything under {@code dir}: path to type, mode, owner, size, mtime and content digest (no
   * symlink is followed). Paths under any of {@code skip} (relative prefixes) are left out.
   */
  static TreeMap<String, String> snapshot(Path dir, String... skip) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        String rel = dir.relativize(p).toString();
        boolean skipped = false;
        for (String k : skip) {
          if (rel.equals(k) || rel.startsWith(k + "/")) {
            skipped = true;
          }
        }
        if (!skipped) {
          out.put(rel.isEmpty() ? "." : rel, describe(p));
        }
      }
    }
    return out;
  }

  private static String describe(Path p) throws IOException {
    Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
    String common =
        String.format("%06o", (Integer) a.get("mode"))
            + " "
            + a.get("uid")
            + ":"
            + a.get("gid")
            + " nlink="
            + a.get("nlink");
    if (Files.isSymbolicLink(p)) {
      return "l " + common + " -> " + Files.readSymbolicLink(p);
    }
    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      String sha;
      try (InputStream in = Files.newInputStream(p)) {
        sha = Digest.fromHash("sha256", digest(in)).hex();
      }
      return "f "
          + common
          + " "
          + a.get("size")
          + " mtime="
          + a.get("lastModifiedTime")
          + " "
          + sha;
    }
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return "d " + common;
    }
    return "? " + common;
  }

  private static byte[] digest(InputStream in) throws IOException {
    java.security.MessageDigest md = Digest.newSha256();
    byte[] buf = new byte[1 << 16];
    int n;
    while ((n = in.read(buf)) >= 0) {
      md.update(buf, 0, n);
    }
    return md.digest();
  }

  /** Every path under {@code dir} whose name ends with {@code .partial}. */
  static List<String> partials(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".partial"))
          .map(Path::toString)
          .toList();
    }
  }

  static List<String> list(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
