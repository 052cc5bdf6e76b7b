package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standard streams as docker users use them, in real processes: {@code -} as IMAGE reads an
 * archive from standard input (export, convert, load), {@code save} without {@code -o} writes to
 * standard output. The spooled copies in {@code $TMPDIR} are removed, also after a failure.
 */
class StandardInputTest {
  @TempDir Path tmp;
  private Path archive;
  private Path scratch;
  private Map<String, String> env;

  @BeforeEach
  void image() throws IOException {
    archive =
        TestImage.image()
            .layer(TarBuilder.tar().dir("etc").file("etc/hostname", "stdin\n").build())
            .layer(
                TarBuilder.tar().whiteout("etc/hostname").file("etc/motd", "hi\n").build(),
                Compression.GZIP)
            .writeDockerArchive(tmp.resolve("in.tar"), "stdin:1");
    scratch = Files.createDirectory(tmp.resolve("scratch"));
    env =
        Map.of("TMPDIR", scratch.toString(), "ISULA_TOOLKIT_ROOT", tmp.resolve("store").toString());
  }

  private Isula.Run isula(Path stdin, String... args) throws Exception {
    return Isula.subprocess(tmp, env, stdin, args);
  }

  /** The rootfs exported (in process) from {@code image}. */
  private byte[] rootfs(String image) throws Exception {
    Path out = Files.createTempFile(tmp, "rootfs", ".tar");
    Isula.ok("export", "-q", image, out.toString());
    return Files.readAllBytes(out);
  }

  private void assertNoScratchLeft() throws IOException {
    try (Stream<Path> left = Files.list(scratch)) {
      assertEquals(List.of(), left.toList(), "spooled copies of stdin are removed");
    }
  }

  @Test
  void exportReadsTheArchiveFromStandardInput() throws Exception {
    isula(archive, "export", "-q", "-", "from-stdin.tar").ok();
    assertArrayEquals(
        rootfs(archive.toString()), Files.readAllBytes(tmp.resolve("from-stdin.tar")));
    assertNoScratchLeft();
  }

  @Test
  void convertAndLoadReadStandardInputToo() throws Exception {
    isula(archive, "convert", "-q", "-", "oci:" + tmp.resolve("layout") + ":v1").ok();
    assertArrayEquals(rootfs(archive.toString()), rootfs("oci:" + tmp.resolve("layout") + ":v1"));
    isula(archive, "load", "-q", "-i", "-").ok();
    String index = Files.readString(tmp.resolve("store/index.json"));
    assertTrue(index.contains("stdin:1"), index);
    assertNoScratchLeft();
  }

  @Test
  void saveWithoutOutputWritesTheArchiveToStandardOutput() throws Exception {
    isula(archive, "load", "-q", "-i", "-").ok();
    Path saved = tmp.resolve("saved.tar");
    Isula.subprocess(tmp, env, null, saved, "save", "-q", "stdin:1").ok();
    assertArrayEquals(rootfs(archive.toString()), rootfs(saved.toString()));
    Isula.Run oci =
        Isula.subprocess(
            tmp, env, null, tmp.resolve("oci.out"), "save", "--format", "oci", "stdin:1");
    assertEquals(2, oci.exitCode(), "a layout directory cannot go to stdout: " + oci);
    assertNoScratchLeft();
  }

  @Test
  void junkOnStandardInputIsOneLineNamingIt() throws Exception {
    Path junk = tmp.resolve("junk");
    Files.writeString(junk, "not an image\n");
    Isula.Run r = isula(junk, "export", "-", "out.tar");
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals(1, r.errLines().size(), r::toString);
    assertTrue(r.err().contains("standard-input: not an image"), r::toString);
    assertFalse(Files.exists(tmp.resolve("out.tar")));
    assertNoScratchLeft();
  }

  @Test
  void aMissingArchiveIsNamedAsAFile() throws Exception {
    Isula.Run r = isula(null, "export", "missing.tar", "out.tar");
    assertEquals(1, r.exitCode(), r::toString);
    assertTrue(r.err().contains("no such file 'missing.tar'"), r::toString);
  }
}
