package dev.isula.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -} as IMAGE reads an archive from standard input (as {@code docker load} does), in a real
 * process with its stdin redirected; the spooled copy is removed again, also after a failure.
 */
class StandardInputTest {
  @TempDir Path tmp;
  private Path archive;
  private Path scratch;

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
  }

  private record Run(int exit, String stderr) {}

  private Run isula(Path stdin, String... args) throws Exception {
    return isula(stdin, null, args);
  }

  private Run isula(Path stdin, Path stdout, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.isula.toolkit.cli.IsulaCli");
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    pb.environment().put("TMPDIR", scratch.toString());
    pb.environment().put("ISULA_TOOLKIT_ROOT", tmp.resolve("store").toString());
    pb.redirectInput(stdin.toFile());
    pb.redirectOutput(
        stdout == null
            ? ProcessBuilder.Redirect.DISCARD
            : ProcessBuilder.Redirect.to(stdout.toFile()));
    Path err = tmp.resolve("stderr.txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "timed out");
    return new Run(p.exitValue(), Files.readString(err));
  }

  private void assertNoScratchLeft() throws IOException {
    try (Stream<Path> left = Files.list(scratch)) {
      assertEquals(List.of(), left.toList(), "spooled copies of stdin are removed");
    }
  }

  @Test
  void exportReadsTheArchiveFromStandardInput() throws Exception {
    Run r = isula(archive, "export", "-q", "-", "from-stdin.tar");
    assertEquals(0, r.exit(), r.stderr());
    assertTrue(
        CliRun.export(List.of(), archive.toString(), tmp.resolve("direct.tar").toString())
                .exitCode()
            == 0);
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("direct.tar")),
        Files.readAllBytes(tmp.resolve("from-stdin.tar")));
    assertNoScratchLeft();
  }

  @Test
  void convertAndLoadReadStandardInputToo() throws Exception {
    Run c = isula(archive, "convert", "-q", "-", "oci:" + tmp.resolve("layout") + ":v1");
    assertEquals(0, c.exit(), c.stderr());
    assertTrue(Files.isRegularFile(tmp.resolve("layout/index.json")));
    CliRun viaLayout =
        CliRun.export(
            List.of(), "oci:" + tmp.resolve("layout") + ":v1", tmp.resolve("o1.tar").toString());
    CliRun direct = CliRun.export(List.of(), archive.toString(), tmp.resolve("o2.tar").toString());
    assertEquals(0, viaLayout.exitCode() + direct.exitCode(), viaLayout + "\n" + direct);
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("o2.tar")), Files.readAllBytes(tmp.resolve("o1.tar")));
    Run l = isula(archive, "load", "-q", "-i", "-");
    assertEquals(0, l.exit(), l.stderr());
    String index = Files.readString(tmp.resolve("store/index.json"));
    assertTrue(index.contains("stdin:1"), index);
    assertNoScratchLeft();
  }

  @Test
  void saveWithoutOutputWritesTheArchiveToStandardOutput() throws Exception {
    Run l = isula(archive, "load", "-q", "-i", "-");
    assertEquals(0, l.exit(), l.stderr());
    Path empty = Files.createFile(tmp.resolve("empty"));
    Path saved = tmp.resolve("saved.tar");
    Run s = isula(empty, saved, "save", "-q", "stdin:1");
    assertEquals(0, s.exit(), s.stderr());
    CliRun fromSaved = CliRun.export(List.of(), saved.toString(), tmp.resolve("a.tar").toString());
    CliRun direct = CliRun.export(List.of(), archive.toString(), tmp.resolve("b.tar").toString());
    assertEquals(0, fromSaved.exitCode() + direct.exitCode(), fromSaved + "\n" + direct);
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("b.tar")), Files.readAllBytes(tmp.resolve("a.tar")));
    Run oci = isula(empty, tmp.resolve("oci.out"), "save", "--format", "oci", "stdin:1");
    assertEquals(2, oci.exit(), "a layout directory cannot go to stdout: " + oci.stderr());
    assertNoScratchLeft();
  }

  @Test
  void junkOnStandardInputIsOneLineNamingIt() throws Exception {
    Path junk = tmp.resolve("junk");
    Files.writeString(junk, "not an image\n", StandardCharsets.UTF_8);
    Run r = isula(junk, "export", "-", "out.tar");
    assertEquals(1, r.exit(), r.stderr());
    assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
    assertTrue(r.stderr().contains("standard-input: not an image"), r.stderr());
    assertFalse(Files.exists(tmp.resolve("out.tar")));
    assertNoScratchLeft();
  }

  @Test
  void aMissingArchiveIsNamedAsAFile() throws Exception {
    Path empty = Files.createFile(tmp.resolve("empty"));
    Run r = isula(empty, "export", "missing.tar", "out.tar");
    assertEquals(1, r.exit(), r.stderr());
    assertTrue(r.stderr().contains("no such file 'missing.tar'"), r.stderr());
  }
}
