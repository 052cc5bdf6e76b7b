package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.testing.TarEntries;
import dev.isula.toolkit.testing.TestImage;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rootfs tarballs and layers as other tar writers make them: sparse files (bsdtar writes them by
 * itself for files with holes, GNU tar with {@code -S}), PAX global headers (Python's tarfile), and
 * an archive without its end-of-archive marker. Each is imported, unpacked by umoci and exported
 * again (as a tarball and with {@code --split} into a directory); the files must be those of the
 * source tree.
 */
class TarDialectsImportTest {
  @TempDir Path tmp;

  private static final long HOLE_AT_END = 200_000;

  /** A rootfs with a sparse lastlog (data at 64 KiB and 2 MiB, a hole at the end) and a file. */
  private Path tree() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("tree/var/log")).getParent().getParent();
    try (RandomAccessFile f =
        new RandomAccessFile(root.resolve("var/log/lastlog").toFile(), "rw")) {
      byte[] data = new byte[5000];
      new Random(1).nextBytes(data);
      f.seek(65536);
      f.write(data);
      f.seek(2 << 20);
      f.write(data);
      f.setLength((2 << 20) + data.length + HOLE_AT_END);
    }
    Files.writeString(root.resolve("hello"), "hello\n");
    return root;
  }

  private Path importOci(Path rootfs, String name, List<String> warnings) throws Exception {
    Path layout = tmp.resolve(name + "-layout");
    Isula.Run run = Isula.ok("import", "-q", rootfs.toString(), "-o", "oci:" + layout + ":t");
    warnings.addAll(run.errLines());
    return layout;
  }

  private void checkTreeIn(Path dir, Path tree) throws Exception {
    assertArrayEquals(
        Files.readAllBytes(tree.resolve("var/log/lastlog")),
        Files.readAllBytes(dir.resolve("var/log/lastlog")));
    assertEquals("hello\n", Files.readString(dir.resolve("hello")));
  }

  private void checkExports(Path layout, Path tree, String name) throws Exception {
    Path out = tmp.resolve(name + "-export.tar");
    Isula.ok("export", "-q", "oci:" + layout + ":t", out.toString());
    Peers.Result listing = Peers.run(tmp, Map.of(), "tar", "-tvf", out.toString());
    assertTrue(listing.err().isEmpty(), listing.err());
    Path x = Files.createDirectories(tmp.resolve(name + "-x"));
    Peers.run(tmp, Map.of(), "tar", "-xf", out.toString(), "-C", x.toString());
    checkTreeIn(x, tree);

    Path split = tmp.resolve(name + "-split");
    SplitRoundTripTest.split(List.of(), "dir", "oci:" + layout + ":t", split).ok();
    Path lastlog = split.resolve("rootfs/var/log/lastlog");
    checkTreeIn(split.resolve("rootfs"), tree);
    Peers.Result blocks = Peers.run(tmp, Map.of(), "stat", "-c", "%b %B", lastlog.toString());
    String[] b = blocks.out().trim().split(" ");
    long allocated = Long.parseLong(b[0]) * Long.parseLong(b[1]);
    assertTrue(allocated < 256 * 1024, "the split's lastlog is sparse: " + allocated + " bytes");
  }

  @Test
  void bsdtarSparseRootfsImportsUnpacksAndExports() throws Exception {
    Peers.require("bsdtar", "umoci", "tar");
    Path tree = tree();
    Path rootfs = tmp.resolve("bsd.tar");
    Peers.run(tmp, Map.of(), "bsdtar", "-cf", rootfs.toString(), "-C", tree.toString(), ".");
    assertTrue(
        new String(Files.readAllBytes(rootfs), StandardCharsets.ISO_8859_1)
            .contains("GNU.sparse.major=1"),
        "bsdtar wrote the lastlog as a sparse 1.0 entry");

    Path layout = importOci(rootfs, "bsd", new java.util.ArrayList<>());

    Path bundle = tmp.resolve("bsd-bundle");
    Peers.run(
        tmp,
        Map.of(),
        "umoci",
        "raw",
        "unpack",
        "--rootless",
        "--image",
        layout + ":t",
        bundle.toString());
    checkTreeIn(bundle, tree);
    checkExports(layout, tree, "bsd");
  }

  @Test
  void pythonPaxRootfsWithAGlobalHeaderMakesALayerUmociReads() throws Exception {
    Peers.require("python3", "umoci", "tar");
    Path tree = tree();
    Path rootfs = tmp.resolve("py.tar");
    Peers.run(
        tmp,
        Map.of(),
        "python3",
        "-c",
        "import tarfile,sys\n"
            + "with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT,"
            + " pax_headers={'comment': 'made by tarfile'}) as t:\n"
            + "    t.add(sys.argv[2], arcname='.')\n",
        rootfs.toString(),
        tree.toString());
    assertEquals('g', (char) Files.readAllBytes(rootfs)[156], "tarfile wrote a global header");

    Path layout = importOci(rootfs, "py", new java.util.ArrayList<>());

    Path bundle = tmp.resolve("py-bundle");
    Peers.run(
        tmp,
        Map.of(),
        "umoci",
        "raw",
        "unpack",
        "--rootless",
        "--image",
        layout + ":t",
        bundle.toString());
    checkTreeIn(bundle, tree);
    checkExports(layout, tree, "py");
  }

  @Test
  void rootfsWithoutEndMarkerImportsWithOneWarning() throws Exception {
    Peers.require("tar", "umoci");
    Path tree = tree();
    Path whole = tmp.resolve("whole.tar");
    Peers.run(
        tmp,
        Map.of(),
        "tar",
        "--format=gnu",
        "-cf",
        whole.toString(),
        "-C",
        tree.toString(),
        "hello");
    byte[] tar = Files.readAllBytes(whole);
    Path rootfs = tmp.resolve("noend.tar");
    Files.write(rootfs, Arrays.copyOf(tar, 1024)); // the header and one block of content

    List<String> warnings = new java.util.ArrayList<>();
    Path layout = importOci(rootfs, "noend", warnings);

    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).startsWith("warning: " + rootfs), warnings.get(0));
    assertTrue(warnings.get(0).contains("no end-of-archive marker"), warnings.get(0));
    Path bundle = tmp.resolve("noend-bundle");
    Peers.run(
        tmp,
        Map.of(),
        "umoci",
        "raw",
        "unpack",
        "--rootless",
        "--image",
        layout + ":t",
        bundle.toString());
    assertEquals("hello\n", Files.readString(bundle.resolve("hello")));
    Path truncated = tmp.resolve("cut.tar");
    Files.write(truncated, Arrays.copyOf(tar, 700));
    Isula.Run cut =
        Isula.run("import", "-q", truncated.toString(), "-o", "oci:" + tmp.resolve("c") + ":t");
    assertEquals(1, cut.exitCode(), cut.toString());
    assertEquals(1, cut.errLines().size(), cut.toString());
    assertTrue(cut.err().contains("'hello'"), cut.err());
  }

  @Test
  void sparseEntriesInAnUncompressedLayerAreExpanded() throws Exception {
    Peers.require("tar");
    Path tree = tree();
    for (String[] writer :
        List.of(
            new String[] {"--format=gnu", "--sparse"},
            new String[] {"--format=posix", "--sparse", "--sparse-version=0.1"},
            new String[] {"--format=posix", "--sparse", "--sparse-version=1.0"})) {
      String name = String.join("", writer).replaceAll("[^a-z0-9]", "");
      Path layer = tmp.resolve(name + ".tar");
      List<String> cmd = new java.util.ArrayList<>(List.of("tar"));
      cmd.addAll(List.of(writer));
      cmd.addAll(List.of("-cf", layer.toString(), "-C", tree.toString(), "hello", "var"));
      Peers.run(tmp, Map.of(), cmd.toArray(String[]::new));
      // an uncompressed OCI blob is read in place; as an upper layer it is indexed (the bottom
      // layer is streamed), which is where a sparse entry is no contiguous byte range
      Path bottom = tmp.resolve(name + "-bottom.tar");
      Peers.run(tmp, Map.of(), "tar", "-cf", bottom.toString(), "-C", tree.toString(), "hello");
      Path plain =
          TestImage.image()
              .layer(Files.readAllBytes(bottom), Compression.NONE)
              .layer(Files.readAllBytes(layer), Compression.NONE)
              .writeOciLayout(tmp.resolve(name + "-plain"), "t");
      assertTrue(storesSparseUncompressed(plain), name + ": the layer is plain tar, stored sparse");

      Path out = tmp.resolve(name + "-export.tar");
      Isula.ok("export", "-q", "oci:" + plain + ":t", out.toString());

      List<TarEntries.Item> items = TarEntries.read(Files.readAllBytes(out));
      TarEntries.Item lastlog =
          items.stream().filter(i -> i.name().equals("var/log/lastlog")).findFirst().orElseThrow();
      TarEntry e = lastlog.entry();
      assertFalse(e.name().contains("GNUSparse"), name);
      assertArrayEquals(
          Files.readAllBytes(tree.resolve("var/log/lastlog")), lastlog.content(), name);
      checkExports(plain, tree, name);
    }
  }

  /** True if a blob of the layout is an uncompressed tar holding a sparse entry. */
  private static boolean storesSparseUncompressed(Path layout) throws Exception {
    try (var blobs = Files.list(layout.resolve("blobs/sha256"))) {
      for (Path blob : blobs.toList()) {
        byte[] b = Files.readAllBytes(blob);
        if (b.length < 1024
            || !new String(b, 257, 5, StandardCharsets.ISO_8859_1).equals("ustar")) {
          continue;
        }
        for (int off = 0; off + 512 <= b.length; off += 512) {
          boolean gnuSparse =
              b[off + 156] == 'S'
                  && new String(b, off + 257, 8, StandardCharsets.ISO_8859_1).equals("ustar  \0");
          boolean paxSparse =
              b[off + 156] == 'x'
                  && new String(b, off + 512, 512, StandardCharsets.ISO_8859_1)
                      .contains("GNU.sparse.");
          if (gnuSparse || paxSparse) {
            return true;
          }
        }
      }
    }
    return false;
  }
}
