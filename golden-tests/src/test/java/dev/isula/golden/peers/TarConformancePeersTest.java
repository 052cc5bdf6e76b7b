package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.isula.golden.CliRun;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The tar conformance corpus ({@code conformance/make-corpus.sh}: one tree archived by GNU tar in
 * every format and sparse flavour, bsdtar, busybox tar and Python's tarfile) against GNU tar's own
 * extraction. For every archive of the corpus's {@code index.tsv}:
 *
 * <ol>
 *   <li>the archive holds what the index says (the groups of the tree it names, each complete);
 *   <li>{@code import} makes an image of it, {@code umoci raw unpack} unpacks that image, and the
 *       tree is GNU tar's extraction ({@code tar --xattrs --xattrs-include='*' --numeric-owner
 *       -xpf}) file by file ({@link TreeComparator});
 *   <li>{@code export} of that image is a rootfs tar that matches GNU tar's extraction entry by
 *       entry ({@link RootfsComparator}).
 * </ol>
 *
 * Each group of the tree a writer cannot represent (ustar and v7 limits, no xattrs) is reported as
 * a skipped test, with the index's reason.
 *
 * <p>Known divergences, asserted rather than hidden: an empty xattr value ({@code
 * SCHILY.xattr.NAME=}) is no attribute for us (and for Go, umoci, docker), where GNU tar sets an
 * empty attribute, so each such attribute is exactly one expected difference in both comparisons. A
 * PAX global header is ignored by us ({@code docs/formats.md}) and left out of the layer {@code
 * import} makes; the corpus's only one carries a comment, which GNU tar ignores as well, so the
 * extractions must not differ. umoci's own limits, asserted as such: it wraps mtimes after 2262
 * around (Go's {@code UnixNano}), and cannot unpack a file hardlinked to itself (GNU tar given a
 * path twice), where only our export is compared.
 */
@Tag("peers")
class TarConformancePeersTest {
  private static final Path SCRIPT = Path.of("conformance/make-corpus.sh");
  private static final String GNU = "GNU tar";

  private static Scratch scratch;
  private static Path corpus;
  private static List<Row> rows;

  /** One line of index.tsv. */
  record Row(String archive, String writer, String format, List<String> groups, String excluded) {
    /** What the writer left out, one item per "group: reason". */
    List<String> leftOut() {
      return excluded.equals("-") ? List.of() : List.of(excluded.split("; "));
    }

    String label() {
      return archive + " (" + writer + " " + format + ")";
    }
  }

  @BeforeAll
  static void makeCorpus() throws IOException {
    Tools.requireThat(
        Tools.isRoot(),
        "must run as root (the corpus has devices, owners and a file capability; GNU tar and"
            + " umoci must keep them)");
    Tools.require(
        "bash",
        "tar",
        "bsdtar",
        "busybox",
        "python3",
        "umoci",
        "getfattr",
        "setfattr",
        "setcap",
        "mknod",
        "mkfifo",
        "truncate");
    scratch = Scratch.create("isula-conformance-", 1L << 30);
    corpus = scratch.resolve("corpus");
    Tools.run(
        List.of("bash", SCRIPT.toAbsolutePath().toString(), corpus.toString()),
        scratch.root,
        Map.of(),
        Duration.ofMinutes(2));
    List<String> lines = Files.readAllLines(corpus.resolve("index.tsv"), StandardCharsets.UTF_8);
    assertEquals("archive\twriter\tformat\tincluded\texcluded", lines.get(0));
    rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t", -1);
      assertEquals(5, f.length, "index.tsv line: " + line);
      rows.add(new Row(f[0], f[1], f[2], List.of(f[3].split(" ")), f[4]));
    }
    try (Stream<Path> s = Files.list(corpus.resolve("archives"))) {
      assertEquals(
          new TreeSet<>(s.map(p -> p.getFileName().toString()).toList()),
          new TreeSet<>(rows.stream().map(Row::archive).toList()),
          "index.tsv lists every archive, once");
    }
  }

  @AfterAll
  static void tearDown() throws IOException {
    if (scratch != null) {
      scratch.close();
    }
  }

  @TestFactory
  Stream<DynamicContainer> everyArchiveOfTheCorpus() {
    return rows.stream()
        .map(
            r -> {
              Case c = new Case(r);
              List<DynamicTest> tests = new ArrayList<>();
              tests.add(dynamicTest("holds " + String.join(" ", r.groups()), c::holdsTheGroups));
              tests.add(dynamicTest("import, umoci raw unpack = GNU tar -x", c::importAndUnpack));
              tests.add(dynamicTest("export = GNU tar -x", c::export));
              for (String left : r.leftOut()) {
                tests.add(
                    dynamicTest(
                        "left out: " + left,
                        () ->
                            Assumptions.abort(
                                r.label() + " cannot represent this part of the tree: " + left)));
              }
              return dynamicContainer(r.label(), tests);
            });
  }

  /**
   * The oracle and the comparison can fail: GNU tar's extraction of the posix archive is the source
   * tree itself, and each change made to it afterwards is reported.
   */
  @Test
  void gnuTarExtractsTheTreeAndTheComparisonSeesEveryChange() throws IOException {
    Path x = Files.createDirectories(scratch.resolve("guard"));
    Tools.gnuTarExtract(corpus.resolve("archives/gnutar-posix.tar"), x, scratch.root);
    Path tree = corpus.resolve("tree");
    assertEquals(List.of(), TreeComparator.compare(tree, x, GNU), "GNU tar's extraction");

    Tools.sh(
        String.join(
            " && ",
            "chmod 0600 base/dir/sub/inner.txt",
            "printf 'RO\\n' >base/modes/readonly",
            "printf 'longer\\n' >>times/before-1970",
            "setfattr -x user.comment xattr/user",
            "touch -h -d '2001-01-01 UTC' base/dir/symlink",
            "cp -a base/dir/file.txt base/dir/copy && mv base/dir/copy base/dir/hardlink",
            "chown 1:2 owners/big",
            "rm dev/fifo",
            "ln -sfn elsewhere base/dir/dirlink",
            "setfattr -n user.added -v 1 base/dir/empty"),
        x,
        Map.of());
    String all = String.join("\n", TreeComparator.compare(tree, x, GNU));
    List<String> expected =
        List.of(
            "base/dir/sub/inner.txt: mode ours 0644, GNU tar 0600",
            "base/modes/readonly: content differs",
            "times/before-1970: size ours 4, GNU tar 11",
            "xattr/user: xattr user.comment ours 0x6120636f6d6d656e74, GNU tar (absent)",
            "base/dir/symlink: mtime ours 2020-01-02T03:04:05Z, GNU tar 2001-01-01T00:00:00Z",
            "base/dir/hardlink: hardlinked with [base/dir/file.txt, base/dir/hardlink] in ours,"
                + " with nothing in GNU tar's tree",
            "owners/big: owner ours 3000000:4000000, GNU tar 1:2",
            "dev/fifo: only in ours (fifo)",
            "base/dir/dirlink: symlink target ours '../dir/sub', GNU tar 'elsewhere'",
            "base/dir/empty: xattr user.added ours (absent), GNU tar 0x31");
    List<String> missed = expected.stream().filter(e -> !all.contains(e)).toList();
    assertEquals(List.of(), missed, "the comparison missed changes; it reported:\n" + all);
  }

  /** One archive: GNU tar's extraction and our image, made once and shared by its tests. */
  private static final class Case {
    private final Row row;
    private final Path archive;
    private final Path work;
    private Path gnu;
    private Path layout;
    private List<String> expected;

    Case(Row row) {
      this.row = row;
      this.archive = corpus.resolve("archives").resolve(row.archive());
      this.work = scratch.resolve("case-" + row.archive());
    }

    /** GNU tar's extraction holds exactly the groups the index names, each complete. */
    void holdsTheGroups() throws IOException {
      Path x = gnu();
      try (Stream<Path> s = Files.list(x)) {
        assertEquals(
            new TreeSet<>(row.groups()),
            new TreeSet<>(s.map(p -> p.getFileName().toString()).toList()),
            row.label() + ": top-level entries of GNU tar's extraction");
      }
      List<String> missing = new ArrayList<>();
      for (String g : row.groups()) {
        Path src = corpus.resolve("dups").resolve(g);
        if (!Files.exists(src)) {
          src = corpus.resolve("tree").resolve(g);
        }
        for (String p : TreeComparator.lstatAll(src).keySet()) {
          if (!Files.exists(x.resolve(g).resolve(p), LinkOption.NOFOLLOW_LINKS)) {
            missing.add(g + "/" + p);
          }
        }
      }
      assertEquals(List.of(), missing, row.label() + ": paths of the tree not in the archive");
      if (row.format().equals("pax-global")) {
        assertTrue(hasGlobalHeader(archive), row.archive() + " has no PAX global header");
      }
    }

    void importAndUnpack() throws IOException {
      Path unpacked = work.resolve("umoci");
      List<String> cmd =
          List.of("umoci", "raw", "unpack", "--image", layout() + ":t", unpacked.toString());
      String self = selfHardlink(archive);
      if (self != null) {
        // import keeps the layer as written; umoci (as docker) removes a file before linking it
        // to itself, so it cannot unpack it: only our export is compared for this archive
        Tools.Result r = Tools.exec(cmd, scratch.root, Map.of(), Tools.DEFAULT_TIMEOUT);
        assertNotEquals(0, r.exitCode(), "umoci now unpacks a hardlink to itself; compare it");
        assertTrue(r.stderr().contains(self + ": link: no such file or directory"), r.stderr());
        return;
      }
      if (row.format().equals("pax-global")) {
        try (Stream<Path> blobs = Files.list(layout().resolve("blobs/sha256"))) {
          for (Path b : blobs.toList()) {
            assertTrue(!hasGlobalHeader(b), b + ": import kept the PAX global header");
          }
        }
      }
      Tools.run(cmd, scratch.root);
      List<String> diffs = new ArrayList<>(TreeComparator.compare(unpacked, gnu(), GNU));
      diffs.removeAll(umociTimeOverflow());
      assertDivergences(diffs, "umoci raw unpack of our image");
    }

    /**
     * umoci's own divergence: it sets an mtime as Go's {@code time.UnixNano()}, which wraps around
     * for times after 2262-04-11, so the after-2242 file gets a time in 1715. One expected line per
     * such file of GNU tar's extraction, with the wrapped time; our export of the same image has
     * the right time (see {@link #export}).
     */
    private List<String> umociTimeOverflow() throws IOException {
      List<String> lines = new ArrayList<>();
      for (Map.Entry<String, Map<String, Object>> f : TreeComparator.lstatAll(gnu()).entrySet()) {
        Instant t = ((FileTime) f.getValue().get("lastModifiedTime")).toInstant();
        if (TreeComparator.type(f.getValue()).equals("directory")
            || t.getEpochSecond() <= Long.MAX_VALUE / 1_000_000_000L) {
          continue;
        }
        long wrapped = t.getEpochSecond() * 1_000_000_000L + t.getNano(); // wraps, as in Go
        Instant umoci =
            Instant.ofEpochSecond(
                Math.floorDiv(wrapped, 1_000_000_000L), Math.floorMod(wrapped, 1_000_000_000L));
        lines.add(f.getKey() + ": mtime ours " + umoci + ", " + GNU + " " + t);
      }
      if (row.groups().contains("times") && !row.excluded().contains("times:")) {
        assertEquals(1, lines.size(), row.label() + ": the after-2242 file: " + lines);
      }
      return lines;
    }

    void export() throws IOException {
      try {
        Path out = work.resolve("rootfs.tar");
        CliRun r = CliRun.isula("export", "-q", "oci:" + layout() + ":t", out.toString());
        assertEquals(0, r.exitCode(), row.archive() + ": export\n" + r);
        assertEquals("", r.err(), row.archive() + ": export warns");
        assertDivergences(new ArrayList<>(RootfsComparator.compare(out, gnu(), GNU)), "our export");
      } finally {
        Scratch.deleteTree(work);
      }
    }

    private void assertDivergences(List<String> diffs, String what) throws IOException {
      diffs.sort(null);
      assertEquals(
          String.join("\n", expected()),
          String.join("\n", diffs),
          row.label()
              + ": "
              + what
              + " against GNU tar's extraction (expected: only the documented divergences)");
    }

    /**
     * The documented divergences this archive must show: one per empty attribute that GNU tar set,
     * which must come from an empty {@code SCHILY.xattr} record of the archive.
     */
    private List<String> expected() throws IOException {
      if (expected != null) {
        return expected;
      }
      List<String> e = new ArrayList<>();
      String raw = null;
      for (Map.Entry<String, SortedMap<String, byte[]>> f :
          RootfsComparator.readXattrs(gnu()).entrySet()) {
        for (Map.Entry<String, byte[]> a : f.getValue().entrySet()) {
          if (a.getValue().length == 0) {
            if (raw == null) {
              raw = Files.readString(archive, StandardCharsets.ISO_8859_1);
            }
            assertTrue(
                raw.contains(" SCHILY.xattr." + a.getKey() + "=\n"),
                row.archive()
                    + ": GNU tar set an empty "
                    + a.getKey()
                    + " on "
                    + f.getKey()
                    + " without an empty SCHILY.xattr record");
            e.add(f.getKey() + ": xattr " + a.getKey() + " ours (absent), " + GNU + " 0x");
          }
        }
      }
      e.sort(null);
      if (row.groups().contains("xattr") && row.writer().equals("gnutar")) {
        assertEquals(
            List.of("xattr/user: xattr user.empty ours (absent), GNU tar 0x"),
            e,
            row.label() + ": the corpus's empty user.empty must reach GNU tar's extraction");
      }
      expected = e;
      return e;
    }

    private Path gnu() throws IOException {
      if (gnu == null) {
        Path x = Files.createDirectories(work.resolve("gnu"));
        Tools.gnuTarExtract(archive, x, scratch.root);
        gnu = x;
      }
      return gnu;
    }

    /** Our image of the archive, by {@code import}; it warns only of a missing end marker. */
    private Path layout() throws IOException {
      if (layout == null) {
        Path l = work.resolve("layout");
        Files.createDirectories(work);
        // a plain layer: the test is about tar, and gzip would cost a third of its time
        CliRun r =
            CliRun.isula(
                "import", "-q", "--compress", "none", archive.toString(), "-o", "oci:" + l + ":t");
        assertEquals(0, r.exitCode(), row.archive() + ": import\n" + r);
        List<String> warnings = r.err().lines().toList();
        if (row.format().equals("no-end-marker")) {
          assertEquals(1, warnings.size(), row.archive() + ": one warning\n" + r);
          assertTrue(warnings.get(0).contains(row.archive()), warnings.get(0));
        } else {
          assertEquals(List.of(), warnings, row.archive() + ": import warns");
        }
        layout = l;
      }
      return layout;
    }
  }

  /** The name of an entry that is a hardlink to itself (GNU tar given a path twice), or null. */
  private static String selfHardlink(Path tar) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tar), 1 << 16)) {
      TarReader r = new TarReader(in);
      TarEntry e;
      while ((e = r.next()) != null) {
        String name = RootfsComparator.canonical(e.name());
        if (e.type() == EntryType.HARDLINK
            && RootfsComparator.canonical(e.linkName()).equals(name)) {
          return name;
        }
      }
    } catch (IsulaException e) {
      throw new AssertionError(tar + ": " + e.getMessage(), e);
    }
    return null;
  }

  private static boolean hasGlobalHeader(Path tar) throws IOException {
    byte[] data = Files.readAllBytes(tar);
    for (int off = 0; off + 512 <= data.length; off += 512) {
      if (data[off + 156] == 'g'
          && new String(data, off + 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
        return true;
      }
    }
    return false;
  }
}
