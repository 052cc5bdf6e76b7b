package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.golden.roundtrip.WrittenImage.Target;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code import --rootfs} checks that the rootfs is the one empty.tar was split from (by the DiffID
 * recorded in isula-split.json); {@code --no-verify} skips the check.
 */
class SplitVerifyTest {
  @TempDir Path tmp;

  Path out;

  @BeforeEach
  void split() throws Exception {
    String image = Samples.byName("hello").writeDockerArchive(tmp.resolve("hello.tar"));
    out = tmp.resolve("split");
    SplitRoundTripTest.split(List.of(), null, image, out).ok();
  }

  private Isula.Run importRootfs(Path rootfs, Path emptyTar, String target, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("import", "-q"));
    args.addAll(List.of(extra));
    args.addAll(List.of("--rootfs", rootfs.toString(), emptyTar.toString(), "-o", target));
    return Isula.run(args);
  }

  /** Fails unless the run failed with exit 1 and one error line mentioning --no-verify. */
  private static void assertRefusedMentioningNoVerify(Isula.Run run) {
    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(1, run.errLines().size(), "one line of error: " + run);
    assertTrue(run.err().contains("--no-verify"), "the error names the way out: " + run);
    assertEquals("", run.out(), "no image id when nothing was written: " + run);
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void aChangedRootfsIsRefusedAndNothingIsWritten(Target target) throws Exception {
    Files.writeString(out.resolve("rootfs/etc/added.txt"), "added after the split\n");
    Isula.Run run =
        importRootfs(out.resolve("rootfs"), out.resolve("empty.tar"), target.ref(tmp, "img"));
    assertRefusedMentioningNoVerify(run);
    assertTrue(run.err().contains(out.resolve("rootfs").toString()), "names the rootfs: " + run);
    assertFalse(Files.exists(target.path(tmp, "img")), "no target may be left: " + run);
    try (var s = Files.list(tmp)) {
      assertEquals(
          List.of(),
          s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList(),
          "no partial file either");
    }
  }

  @ParameterizedTest
  @EnumSource(Target.class)
  void noVerifyImportsTheChangedRootfs(Target target) throws Exception {
    Files.writeString(out.resolve("rootfs/etc/added.txt"), "added after the split\n");
    String ref = target.ref(tmp, "img");
    Isula.Run run =
        importRootfs(out.resolve("rootfs"), out.resolve("empty.tar"), ref, "--no-verify").ok();
    WrittenImage written = target.read(tmp, "img");
    assertEquals(written.imageId() + "\n", run.out());
    Path again = tmp.resolve("again.tar");
    Isula.ok("export", "-q", ref, again.toString());
    assertArrayEquals(
        "added after the split\n".getBytes(StandardCharsets.UTF_8),
        Trees.fileContent(Files.readAllBytes(again), "etc/added.txt"),
        "the added file must be in the re-export");
    assertArrayEquals(
        "Welcome to the isula sample image (layer 2 edition).\n".getBytes(StandardCharsets.UTF_8),
        Trees.fileContent(Files.readAllBytes(again), "etc/motd"),
        "and the rest of the rootfs too");
    SplitRoundTripTest.checkRestoredHistory(
        SplitRoundTripTest.parse(Samples.byName("hello").image().configBytes()), written.config());
  }

  @Test
  void aChangedFileContentIsRefused() throws Exception {
    Files.writeString(out.resolve("rootfs/etc/motd"), "edited\n");
    assertRefusedMentioningNoVerify(
        importRootfs(out.resolve("rootfs"), out.resolve("empty.tar"), Target.OCI.ref(tmp, "x")));
    assertFalse(Files.exists(Target.OCI.path(tmp, "x")));
  }

  @Test
  void aChangedModeIsRefused() throws Exception {
    Files.setPosixFilePermissions(
        out.resolve("rootfs/bin/hello"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    assertRefusedMentioningNoVerify(
        importRootfs(
            out.resolve("rootfs"), out.resolve("empty.tar"), Target.DOCKER_ARCHIVE.ref(tmp, "x")));
    assertFalse(Files.exists(Target.DOCKER_ARCHIVE.path(tmp, "x")));
  }

  /** The rootfs of another image: refused, and fine with --no-verify. */
  @Test
  void anotherImagesRootfsIsRefused() throws Exception {
    String other = Samples.byName("whiteouts").writeDockerArchive(tmp.resolve("other.tar"));
    Path otherOut = tmp.resolve("other-split");
    SplitRoundTripTest.split(List.of(), "tar", other, otherOut).ok();
    Path rootfsTar = otherOut.resolve("rootfs.tar");
    String ref = Target.OCI_ARCHIVE.ref(tmp, "mix");
    assertRefusedMentioningNoVerify(importRootfs(rootfsTar, out.resolve("empty.tar"), ref));
    assertFalse(Files.exists(Target.OCI_ARCHIVE.path(tmp, "mix")));
    importRootfs(rootfsTar, out.resolve("empty.tar"), ref, "--no-verify").ok();
    WrittenImage mixed = Target.OCI_ARCHIVE.read(tmp, "mix");
    assertArrayEquals(Files.readAllBytes(rootfsTar), mixed.layers().get(0).tar());
    assertEquals(
        "/bin/hello", mixed.config().path("config").path("Cmd").get(0).asText(), "hello's config");
  }

  /** An ordinary docker-archive (no isula-split.json) needs --no-verify to serve as EMPTY.tar. */
  @Test
  void anArchiveNotWrittenBySplitNeedsNoVerify() throws Exception {
    Path plain = tmp.resolve("hello.tar");
    String ref = Target.DOCKER_ARCHIVE.ref(tmp, "x");
    Isula.Run run = importRootfs(out.resolve("rootfs"), plain, ref);
    assertRefusedMentioningNoVerify(run);
    assertTrue(run.err().contains("isula-split.json"), run::toString);
    assertFalse(Files.exists(Target.DOCKER_ARCHIVE.path(tmp, "x")));
    importRootfs(out.resolve("rootfs"), plain, ref, "--no-verify").ok();
    WrittenImage w = Target.DOCKER_ARCHIVE.read(tmp, "x");
    assertEquals(1, w.layers().size());
  }

  @Test
  void noVerifyWithoutRootfsIsAUsageError() throws Exception {
    Path rootfsTar = tmp.resolve("r.tar");
    Isula.ok("export", "-q", "docker-archive:" + tmp.resolve("hello.tar"), rootfsTar.toString());
    Isula.Run run =
        Isula.run(
            "import", "-q", "--no-verify", rootfsTar.toString(), "-o", Target.OCI.ref(tmp, "x"));
    assertEquals(2, run.exitCode(), run::toString);
    assertTrue(run.err().contains("--no-verify"), run::toString);
    assertFalse(Files.exists(Target.OCI.path(tmp, "x")));
  }

  /** Without a changed rootfs the check passes, of course (and --no-verify changes nothing). */
  @Test
  void anUnchangedRootfsGivesTheSameImageWithAndWithoutNoVerify() throws Exception {
    importRootfs(out.resolve("rootfs"), out.resolve("empty.tar"), Target.OCI.ref(tmp, "a")).ok();
    importRootfs(
            out.resolve("rootfs"),
            out.resolve("empty.tar"),
            Target.OCI.ref(tmp, "b"),
            "--no-verify")
        .ok();
    WrittenImage a = Target.OCI.read(tmp, "a");
    WrittenImage b = Target.OCI.read(tmp, "b");
    assertArrayEquals(a.layers().get(0).tar(), b.layers().get(0).tar());
    assertEquals(
        SplitRoundTripTest.withoutRootfsAndHistory(a.config()),
        SplitRoundTripTest.withoutRootfsAndHistory(b.config()));
  }
}
