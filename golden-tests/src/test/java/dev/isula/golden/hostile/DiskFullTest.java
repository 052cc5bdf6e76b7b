package dev.isula.golden.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk: each output (and, once, the scratch space) goes to a 2 MiB tmpfs that this test
 * mounts (it runs as root; elsewhere it is skipped, except in CI where root is required). Every
 * command must fail with exit 1 and one line naming the path and saying "No space left on device",
 * leave nothing on the small file system, and leave inputs and the store as they were.
 */
class DiskFullTest {
  private static final int MIB = 1 << 20;

  @TempDir Path tmp;
  private Path full;
  private Path in;
  private Path scratch;
  private boolean mounted;

  @BeforeEach
  void mountSmallFileSystem() throws Exception {
    full = Files.createDirectories(tmp.resolve("full"));
    in = Files.createDirectories(tmp.resolve("in"));
    scratch = Files.createDirectories(tmp.resolve("scratch"));
    Process p =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", full.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      String why = "cannot mount a 2 MiB tmpfs (needs root): " + out.strip();
      if ("true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(why + "; CI runs as root and must run this test");
      }
      abort(why);
    }
    mounted = true;
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      Process p =
          new ProcessBuilder("umount", "-l", full.toString()).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** An image of 6 MiB of incompressible content (two 3 MiB files), which cannot fit. */
  private static Img bigImage() {
    Random r = new Random(42);
    byte[] a = new byte[3 * MIB];
    byte[] b = new byte[3 * MIB];
    r.nextBytes(a);
    r.nextBytes(b);
    return new Img()
        .layer(
            TarBuilder.tar().dir("data").file("data/a", a, 0644).file("data/b", b, 0644).build(),
            Compression.NONE);
  }

  private String ociLayout() throws IOException {
    Path dir = in.resolve("layout");
    for (var f : bigImage().oci().entrySet()) {
      Path p = dir.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, f.getValue());
    }
    return "oci:" + dir + ":" + Img.TAG;
  }

  private Path rootfsTar() throws IOException {
    return Files.write(in.resolve("rootfs.tar"), bigImage().layers().get(0).blob());
  }

  /** Runs the command in a child JVM ($TMPDIR = scratch unless given) and checks the contract. */
  private HostileCli.Run fails(List<String> args, Path scratchDir, String... mentions)
      throws Exception {
    TreeMap<String, String> inputs = Workspace.snapshot(in);
    HostileCli.Run run =
        HostileCli.subprocess(
            List.of(), args, scratchDir, java.util.Map.of(), tmp.resolve("run-" + args.get(0)));
    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(1, run.errLines().size(), () -> "one line\n" + run);
    String line = run.errLines().get(0);
    assertTrue(line.startsWith("isula " + args.get(0) + ": "), run::toString);
    assertTrue(line.contains("No space left on device"), run::toString);
    assertFalse(line.contains("I/O error"), () -> "the error names the path\n" + run);
    for (String m : mentions) {
      assertTrue(line.contains(m), () -> "mentions " + m + "\n" + run);
    }
    System.out.println(String.join(" ", args.subList(0, 2)) + " ... → " + line);
    assertEquals(inputs, Workspace.snapshot(in), "inputs unchanged");
    assertEquals(List.of(), Workspace.list(scratch), () -> "scratch files left\n" + run);
    return run;
  }

  private List<String> leftOnTheSmallDisk() throws IOException {
    List<String> all = new ArrayList<>(Workspace.tree(full));
    all.remove("lost+found");
    return all;
  }

  @Test
  void exportToAFullDisk() throws Exception {
    Path out = full.resolve("rootfs.tar");
    fails(List.of("export", "-q", ociLayout(), out.toString()), scratch, full.toString());
    assertEquals(List.of(), leftOnTheSmallDisk());
  }

  @Test
  void splitToAFullDisk() throws Exception {
    Path out = full.resolve("split");
    fails(List.of("export", "-q", "--split", ociLayout(), out.toString()), scratch, out.toString());
    assertEquals(List.of(), leftOnTheSmallDisk());
  }

  @Test
  void splitAsTarToAFullDisk() throws Exception {
    Path out = full.resolve("split");
    fails(
        List.of("export", "-q", "--split", "--rootfs-format", "tar", ociLayout(), out.toString()),
        scratch,
        out.toString());
    assertEquals(List.of(), leftOnTheSmallDisk());
  }

  @Test
  void importToAnOciLayoutOnAFullDisk() throws Exception {
    Path layout = full.resolve("layout");
    fails(
        List.of(
            "import",
            "-q",
            "--compress",
            "none",
            rootfsTar().toString(),
            "x:1",
            "-o",
            "oci:" + layout),
        scratch,
        layout.toString());
    assertEquals(List.of(), leftOnTheSmallDisk());
  }

  @Test
  void importToADockerArchiveOnAFullDisk() throws Exception {
    Path archive = full.resolve("x.tar");
    fails(
        List.of("import", "-q", rootfsTar().toString(), "x:1", "-o", "docker-archive:" + archive),
        scratch,
        full.toString());
    assertEquals(List.of(), leftOnTheSmallDisk());
  }

  @Test
  void importWithScratchSpaceOnAFullDisk() throws Exception {
    Path archive = tmp.resolve("x.tar");
    fails(
        List.of(
            "import",
            "-q",
            "--compress",
            "none",
            rootfsTar().toString(),
            "x:1",
            "-o",
            "docker-archive:" + archive),
        full,
        full.toString());
    assertFalse(Files.exists(archive));
    assertEquals(List.of(), leftOnTheSmallDisk());
  }

  @Test
  void loadIntoAStoreOnAFullDisk() throws Exception {
    Path store = full.resolve("store");
    Path good = in.resolve("good.tar");
    TestImage.writeTar(good, Workspace.goodImage().docker());
    HostileCli.Run seed =
        HostileCli.inProcess(
            List.of("load", "-q", "--root", store.toString(), "-i", good.toString()), scratch);
    assertEquals(0, seed.exitCode(), seed::toString);
    TreeMap<String, String> before = storeSnapshot(store);
    Path big = in.resolve("big.tar");
    TestImage.writeTar(big, bigImage().docker());
    fails(
        List.of("load", "-q", "--root", store.toString(), "-i", big.toString()),
        scratch,
        store.toString());
    assertEquals(before, storeSnapshot(store), "the store is as it was");
    HostileCli.Run images =
        HostileCli.inProcess(List.of("images", "--root", store.toString()), scratch);
    assertEquals(0, images.exitCode(), images::toString);
  }

  @Test
  void saveToAFullDisk() throws Exception {
    Path store = tmp.resolve("store");
    Path big = in.resolve("big.tar");
    TestImage.writeTar(big, bigImage().docker());
    HostileCli.Run load =
        HostileCli.inProcess(
            List.of("load", "-q", "--root", store.toString(), "-i", big.toString()), scratch);
    assertEquals(0, load.exitCode(), load::toString);
    TreeMap<String, String> before = storeSnapshot(store);
    Path out = full.resolve("saved.tar");
    fails(
        List.of("save", "-q", "--root", store.toString(), Img.REPO_TAG, "-o", out.toString()),
        scratch,
        full.toString());
    assertEquals(List.of(), leftOnTheSmallDisk());
    assertEquals(before, storeSnapshot(store));
  }

  private static TreeMap<String, String> storeSnapshot(Path store) throws IOException {
    TreeMap<String, String> s = Workspace.snapshot(store);
    s.remove(".isula-gc.lock");
    s.remove(".isula-index.lock");
    return s;
  }
}
