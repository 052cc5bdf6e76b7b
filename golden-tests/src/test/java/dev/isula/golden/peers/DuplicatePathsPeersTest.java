package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.golden.CliRun;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A path written twice in one layer (issue 6 of tar fidelity), with layers made by real writers:
 * GNU tar given a path twice and then appending changed copies ({@code -rf}), Python's tarfile
 * adding names twice. Our export must hold each path once, and be what extracting the image gives:
 * GNU tar's extraction for a single layer, umoci's {@code raw unpack} for the image.
 */
@Tag("peers")
class DuplicatePathsPeersTest {
  private static Scratch scratch;
  private static int counter;

  /**
   * Python's tarfile, in the image-builder style: a file added twice (the second longer, another
   * mode), a hardlink made before the replacement and one after, a directory added twice with
   * children under each.
   */
  private static final String PY_TWICE =
      """
      import io, sys, tarfile
      def add(t, name, kind, data=b"", mode=0o644, link="", uid=0):
          i = tarfile.TarInfo(name)
          i.type, i.mode, i.mtime, i.linkname, i.uid, i.gid = kind, mode, 1577934245, link, uid, uid
          i.size = len(data) if kind == tarfile.REGTYPE else 0
          t.addfile(i, io.BytesIO(data) if i.size else None)
      with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
          add(t, "etc", tarfile.DIRTYPE, mode=0o755)
          add(t, "etc/motd", tarfile.REGTYPE, b"first\\n")
          add(t, "etc/before", tarfile.LNKTYPE, link="etc/motd")
          add(t, "etc/motd", tarfile.REGTYPE, b"second, longer\\n", mode=0o600, uid=7)
          add(t, "etc/after", tarfile.LNKTYPE, link="etc/motd")
          add(t, "d", tarfile.DIRTYPE, mode=0o755)
          add(t, "d/x", tarfile.REGTYPE, b"x\\n")
          add(t, "d", tarfile.DIRTYPE, mode=0o700, uid=5)
          add(t, "d/y", tarfile.REGTYPE, b"y\\n")
          add(t, "etc/motd", tarfile.SYMTYPE, link="issue", mode=0o777) if len(sys.argv) > 2 else None
      """;

  /** A directory with children, then a file at its path: GNU tar refuses, umoci replaces. */
  private static final String PY_FILE_OVER_DIR =
      """
      import io, sys, tarfile
      with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
          for name, data in (("keep", b"k\\n"), ("d/", None), ("d/child", b"c\\n"), ("d", b"file\\n")):
              i = tarfile.TarInfo(name.rstrip("/"))
              i.mtime = 1577934245
              if data is None:
                  i.type, i.mode = tarfile.DIRTYPE, 0o755
                  t.addfile(i)
              else:
                  i.size = len(data)
                  t.addfile(i, io.BytesIO(data))
      """;

  @BeforeAll
  static void setUp() throws IOException {
    Tools.requireThat(Tools.isRoot(), "must run as root (GNU tar and umoci keeping owners)");
    Tools.require("tar", "umoci", "python3", "getfattr");
    scratch = Scratch.create("isula-dups-", 64L << 20);
  }

  @AfterAll
  static void tearDown() throws IOException {
    if (scratch != null) {
      scratch.close();
    }
  }

  @Test
  void gnuTarGivenAPathTwiceAndAppendingChangedCopies() throws IOException {
    Path src = Files.createDirectories(dir("gnu-src").resolve("dup/dir"));
    Path root = src.getParent().getParent();
    Files.writeString(root.resolve("dup/file"), "first\n");
    Files.writeString(root.resolve("dup/dir/kept"), "kept\n");
    Path layer = root.resolveSibling("gnu-dups.tar");
    // the second dup/file is written as a hardlink to itself; -rf appends new copies
    Tools.run(List.of("tar", "--format=gnu", "-cf", layer.toString(), "dup", "dup/file"), root);
    Tools.sh("printf 'second, longer\\n' >dup/file && chmod 600 dup/file", root, Map.of());
    Tools.sh("ln dup/file dup/link && chown 7:7 dup/dir", root, Map.of());
    Tools.run(
        List.of("tar", "--format=gnu", "-rf", layer.toString(), "dup/file", "dup/link", "dup/dir"),
        root);
    assertEquals(3, count(layer, "dup/file"), "the fixture must write dup/file three times");

    Path ours = exportImage(List.of(layer));
    assertOnce(ours);
    RootfsComparator.assertMatches(ours, gnuExtract(layer), "gnu-dups.tar", "GNU tar");
    // umoci (as docker) cannot extract GNU tar's link of a file to itself: it removes the file
    // first; so only GNU tar's extraction is the oracle here
    Tools.Result umoci = tryUmociUnpack(List.of(layer));
    assertNotEquals(0, umoci.exitCode(), "umoci now extracts a self-hardlink; compare with it too");
  }

  @Test
  void pythonTarfileAddingNamesTwiceAsTheOnlyLayer() throws IOException {
    Path layer = python(PY_TWICE, "py-twice.tar");
    assertEquals(2, count(layer, "etc/motd"));
    Path ours = exportImage(List.of(layer));
    assertOnce(ours);
    RootfsComparator.assertMatches(ours, gnuExtract(layer), "py-twice.tar", "GNU tar");
    RootfsComparator.assertMatches(ours, umociUnpack(List.of(layer)), "py-twice.tar");
  }

  @Test
  void duplicatesInTheBottomAndInAnUpperLayer() throws IOException {
    Path bottom = python(PY_TWICE, "py-twice-bottom.tar");
    Path upper = python(PY_TWICE, "py-twice-upper.tar", "symlink-last");
    assertEquals(3, count(upper, "etc/motd"));
    Path ours = exportImage(List.of(bottom, upper));
    assertOnce(ours);
    RootfsComparator.assertMatches(ours, umociUnpack(List.of(bottom, upper)), "two layers");
  }

  @Test
  void aFileAfterADirectoryOfTheSameLayerReplacesItAsUmociDoes() throws IOException {
    Path layer = python(PY_FILE_OVER_DIR, "file-over-dir.tar");
    Path ours = exportImage(List.of(layer));
    assertOnce(ours);
    RootfsComparator.assertMatches(ours, umociUnpack(List.of(layer)), "file-over-dir.tar");
    // GNU tar keeps the directory and fails: "d: Cannot open: File exists"
    Path gnu = dir("gnu-x");
    Tools.Result r =
        Tools.exec(
            List.of("tar", "-xpf", layer.toString(), "-C", gnu.toString()),
            scratch.root,
            Map.of(),
            Tools.DEFAULT_TIMEOUT);
    assertNotEquals(0, r.exitCode(), "GNU tar now extracts a file over a directory");
    assertTrue(r.stderr().contains("File exists"), r.stderr());
  }

  /**
   * The second pass after a repeated path also works through a compressor with threads of its own:
   * the compressed exports hold the same tar as the plain one, and the split output the same tree.
   */
  @Test
  void compressedAndSplitOutputsAreWrittenOnceToo() throws IOException {
    Path layer = python(PY_TWICE, "py-twice-compressed.tar");
    String ref = "oci:" + layout(List.of(layer));
    Path plain = exportImage(List.of(layer));
    for (String c : List.of("gzip", "zstd")) {
      Path out = dir("export-" + c).resolve("rootfs.tar." + c);
      CliRun r = CliRun.isula("export", "-q", "--compress", c, ref, out.toString());
      assertEquals(0, r.exitCode(), r.toString());
      Path unpacked = out.resolveSibling("rootfs.tar");
      Tools.sh(
          (c.equals("gzip") ? "gzip" : "zstd -q") + " -dc '" + out + "' >'" + unpacked + "'",
          scratch.root,
          Map.of());
      assertEquals(-1L, Files.mismatch(plain, unpacked), c + " export differs from the plain one");
    }
    Path split = dir("split").resolve("out");
    CliRun r = CliRun.isula("export", "-q", "--split", ref, split.toString());
    assertEquals(0, r.exitCode(), r.toString());
    Path rootfs = split.resolve("rootfs");
    assertEquals("second, longer\n", Files.readString(rootfs.resolve("etc/motd")));
    assertEquals("first\n", Files.readString(rootfs.resolve("etc/before")));
    assertTrue(Files.isSameFile(rootfs.resolve("etc/motd"), rootfs.resolve("etc/after")));
    assertTrue(Files.exists(rootfs.resolve("d/x")) && Files.exists(rootfs.resolve("d/y")));
  }

  // ---- helpers ----

  private static synchronized Path dir(String name) throws IOException {
    return Files.createDirectories(scratch.resolve(name + "-" + (++counter)));
  }

  private static Path python(String script, String name, String... args) throws IOException {
    Path out = scratch.resolve(name);
    List<String> cmd = new ArrayList<>(List.of("python3", "-c", script, out.toString()));
    cmd.addAll(List.of(args));
    Tools.run(cmd, scratch.root);
    return out;
  }

  /** An OCI layout holding the layers, via umoci; returns its reference for us. */
  private static String layout(List<Path> layers) throws IOException {
    Path layout = dir("layout");
    Files.delete(layout);
    Tools.run(List.of("umoci", "init", "--layout", layout.toString()), scratch.root);
    Tools.run(List.of("umoci", "new", "--image", layout + ":t"), scratch.root);
    for (Path l : layers) {
      Tools.run(
          List.of("umoci", "raw", "add-layer", "--image", layout + ":t", l.toString()),
          scratch.root);
    }
    return layout + ":t";
  }

  private static Path exportImage(List<Path> layers) throws IOException {
    Path out = dir("export").resolve("rootfs.tar");
    CliRun r = CliRun.isula("export", "-q", "oci:" + layout(layers), out.toString());
    assertEquals(0, r.exitCode(), r.toString());
    return out;
  }

  private static Path umociUnpack(List<Path> layers) throws IOException {
    Path out = dir("umoci").resolve("rootfs");
    Tools.run(
        List.of("umoci", "raw", "unpack", "--image", layout(layers), out.toString()), scratch.root);
    return out;
  }

  private static Tools.Result tryUmociUnpack(List<Path> layers) throws IOException {
    Path out = dir("umoci").resolve("rootfs");
    return Tools.exec(
        List.of("umoci", "raw", "unpack", "--image", layout(layers), out.toString()),
        scratch.root,
        Map.of(),
        Tools.DEFAULT_TIMEOUT);
  }

  private static Path gnuExtract(Path layer) throws IOException {
    Path out = dir("gnu");
    Tools.gnuTarExtract(layer, out, scratch.root);
    return out;
  }

  /** How many entries of {@code tar} are named {@code name}. */
  private static long count(Path tar, String name) throws IOException {
    return names(tar).stream().filter(n -> n.equals(name)).count();
  }

  private static List<String> names(Path tar) throws IOException {
    List<String> names = new ArrayList<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(tar))) {
      TarReader r = new TarReader(in);
      TarEntry e;
      while ((e = r.next()) != null) {
        names.add(RootfsComparator.canonical(e.name()));
      }
    } catch (IsulaException e) {
      throw new AssertionError(tar + ": " + e.getMessage(), e);
    }
    return names;
  }

  private static void assertOnce(Path ours) throws IOException {
    List<String> names = names(ours);
    assertEquals(names.size(), names.stream().distinct().count(), "a path written twice: " + names);
  }
}
