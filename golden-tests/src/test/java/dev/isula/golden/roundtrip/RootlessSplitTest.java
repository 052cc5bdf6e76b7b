package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export --split} and {@code import --rootfs} in a real process that is not root (run as
 * nobody with util-linux {@code setpriv} when the tests run as root): owners are not set and device
 * nodes are skipped, with one warning, and the pair still imports back.
 */
class RootlessSplitTest {
  private static final int NOBODY = 65534;

  @TempDir Path tmp;
  private String classPath;

  private static long myUid() throws Exception {
    return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
  }

  /** The command line, as nobody when we are root; the class path copied where nobody can read. */
  private List<String> asNonRoot(Path shared, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (myUid() == 0) {
      Assumptions.assumeTrue(
          Files.isExecutable(Path.of("/usr/bin/setpriv")) || System.getenv("CI") != null,
          "util-linux setpriv is needed to drop root");
      cmd.addAll(
          List.of(
              "/usr/bin/setpriv",
              "--reuid=" + NOBODY,
              "--regid=" + NOBODY,
              "--clear-groups",
              "--"));
    }
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Duser.home=" + shared);
    cmd.add("-cp");
    if (classPath == null) {
      List<String> cp = new ArrayList<>();
      Path lib = Files.createDirectories(shared.resolve("lib"));
      int i = 0;
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        Path from = Path.of(entry);
        Path to = lib.resolve(i++ + "-" + from.getFileName());
        if (Files.isDirectory(from)) {
          copyTree(from, to);
        } else if (Files.isRegularFile(from)) {
          Files.copy(from, to);
        } else {
          continue;
        }
        cp.add(to.toString());
      }
      classPath = String.join(File.pathSeparator, cp);
      openUp(shared); // once: later calls must not touch what the commands wrote
    }
    cmd.add(classPath);
    cmd.add("dev.isula.toolkit.cli.IsulaCli");
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
  }

  /** Everyone may read and enter everything below {@code dir}, and write to {@code dir} itself. */
  private static void openUp(Path dir) throws Exception {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Files.setPosixFilePermissions(
            p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    for (Path up = dir.getParent(); up != null; up = up.getParent()) {
      if (!Files.isReadable(up) || up.equals(Path.of("/"))) {
        break;
      }
      if (up.startsWith(System.getProperty("java.io.tmpdir"))
          && !up.equals(Path.of(System.getProperty("java.io.tmpdir")))) {
        Files.setPosixFilePermissions(up, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
  }

  private record Run(int exit, String stderr) {}

  private static Run run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "timed out: " + cmd);
    return new Run(p.exitValue(), err);
  }

  @Test
  void splitWithoutRootSkipsOwnersAndDevicesWithOneWarningAndImportsBack() throws Exception {
    Path shared = Files.createDirectories(tmp.resolve("shared"));
    TarBuilder layer = TarBuilder.tar().dir("etc").dir("dev").dir("run");
    layer.entry(
        TarBuilder.base("etc/owned")
            .type(EntryType.FILE)
            .mode(04755)
            .uid(1000)
            .gid(1000)
            .size(3)
            .build(),
        "hi\n".getBytes(StandardCharsets.UTF_8));
    layer.charDevice("dev/null", 1, 3).fifo("run/fifo");
    Path archive =
        TestImage.image()
            .layer(layer.build(), Compression.GZIP)
            .writeDockerArchive(shared.resolve("in.tar"), "rootless:1");
    Path out = shared.resolve("split");
    Run split = run(asNonRoot(shared, "export", "--split", archive.toString(), out.toString()));
    assertEquals(0, split.exit(), split.stderr());
    List<String> warnings = split.stderr().lines().filter(l -> l.contains("warning")).toList();
    assertEquals(1, warnings.size(), split.stderr());
    assertTrue(warnings.get(0).contains("not running as root"), warnings.get(0));

    long expectedOwner = myUid() == 0 ? NOBODY : myUid();
    Path owned = out.resolve("rootfs/etc/owned");
    assertEquals("hi\n", Files.readString(owned));
    assertEquals(
        expectedOwner, ((Number) Files.getAttribute(owned, "unix:uid")).longValue(), "not chowned");
    assertEquals(04755, (Integer) Files.getAttribute(owned, "unix:mode") & 07777);
    assertFalse(Files.exists(out.resolve("rootfs/dev/null"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.exists(out.resolve("rootfs/run/fifo"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isRegularFile(out.resolve("empty.tar")));

    // the pair goes back together: the DiffID recorded is of the tree as it was written
    Path back = shared.resolve("back.tar");
    Run imp =
        run(
            asNonRoot(
                shared,
                "import",
                "-q",
                "--rootfs",
                out.resolve("rootfs").toString(),
                out.resolve("empty.tar").toString(),
                "-o",
                "docker-archive:" + back + ":rootless:2"));
    assertEquals(0, imp.exit(), imp.stderr());
    Path again = shared.resolve("again.tar");
    Isula.ok("export", "-q", "docker-archive:" + back, again.toString());
    String listing = Trees.canonicalListing(Files.readAllBytes(again));
    assertTrue(listing.contains(" etc/owned\n"), listing);
    assertTrue(listing.contains(" run/fifo\n"), listing);
    assertFalse(listing.contains(" dev/null\n"), listing);
  }
}
