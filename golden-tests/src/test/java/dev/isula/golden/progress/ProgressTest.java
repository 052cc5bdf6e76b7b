package dev.isula.golden.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Progress on stderr, checked the way users see it: in a real pseudo-terminal (util-linux {@code
 * script}) a progress bar; in a pipe plain lines every tenth of the way; with -q nothing.
 */
class ProgressTest {
  @TempDir Path tmp;
  private Path archive;

  @BeforeEach
  void image() throws Exception {
    byte[] big = new byte[6 << 20];
    new Random(1).nextBytes(big);
    archive =
        TestImage.image()
            .layer(
                TarBuilder.tar().dir("data").file("data/big", big, 0644).build(), Compression.GZIP)
            .layer(TarBuilder.tar().file("data/small", "x\n").build(), Compression.GZIP)
            .writeDockerArchive(tmp.resolve("big.tar"), "big:1");
  }

  private static List<String> isula(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.isula.toolkit.cli.IsulaCli");
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static String shellQuote(List<String> cmd) {
    StringBuilder sb = new StringBuilder();
    for (String c : cmd) {
      sb.append('\'').append(c.replace("'", "'\\''")).append("' ");
    }
    return sb.toString();
  }

  private String run(List<String> cmd, boolean mergeStdout) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
    Path err = tmp.resolve("stderr.txt");
    if (mergeStdout) {
      pb.redirectErrorStream(true);
    } else {
      pb.redirectError(err.toFile());
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "timed out");
    assertEquals(0, p.exitValue(), out);
    return mergeStdout ? out : Files.readString(err);
  }

  @Test
  void aBarInATerminal() throws Exception {
    assertTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script is needed");
    String cmd = shellQuote(isula("export", archive.toString(), tmp.resolve("o.tar").toString()));
    // script runs the command on a new pseudo-terminal and copies what it writes
    String screen = run(List.of("script", "-qec", cmd, "/dev/null"), true);
    assertTrue(screen.contains("export 100% ["), screen);
    assertTrue(screen.contains("MiB/s"), "rate shown: " + screen);
    assertFalse(screen.contains("export: 10% ("), "no plain lines on a terminal: " + screen);
  }

  @Test
  void plainLinesInAPipe() throws Exception {
    String err = run(isula("export", archive.toString(), tmp.resolve("o.tar").toString()), false);
    assertTrue(err.contains("export: 100% ("), err);
    assertTrue(err.contains("export: 50% ("), err);
    assertFalse(err.contains("["), "no bar in a pipe: " + err);
  }

  @Test
  void nothingWithQuiet() throws Exception {
    String err =
        run(isula("export", "-q", archive.toString(), tmp.resolve("o.tar").toString()), false);
    assertEquals("", err);
    String cmd =
        shellQuote(isula("export", "-q", archive.toString(), tmp.resolve("o2.tar").toString()));
    assertEquals("", run(List.of("script", "-qec", cmd, "/dev/null"), true).strip());
  }

  @Test
  void importShowsTheRootfsRead() throws Exception {
    Path rootfs = tmp.resolve("rootfs.tar");
    run(isula("export", "-q", archive.toString(), rootfs.toString()), false);
    String err = run(isula("import", rootfs.toString(), "-o", "oci:" + tmp.resolve("lay")), false);
    // reads come in chunks, so which tenths are printed depends on the sizes; several are
    long lines =
        err.lines().filter(l -> l.matches("import: [1-9]0% \\(.* of 6\\.0 MiB\\)")).count();
    assertTrue(lines >= 3, err);
    assertTrue(err.contains("import: 100% (6.0 of 6.0 MiB)"), err);
    String cmd = shellQuote(isula("import", rootfs.toString(), "-o", "oci:" + tmp.resolve("lay2")));
    String screen = run(List.of("script", "-qec", cmd, "/dev/null"), true);
    assertTrue(screen.contains("import 100% ["), screen);
  }

  @Test
  void aBadNameIsRefusedBeforeTheRootfsIsRead() throws Exception {
    Path rootfs = tmp.resolve("rootfs.tar");
    run(isula("export", "-q", archive.toString(), rootfs.toString()), false);
    ProcessBuilder pb =
        new ProcessBuilder(isula("import", rootfs.toString(), "Bad:Name"))
            .redirectErrorStream(true);
    pb.environment().put("ISULA_TOOLKIT_ROOT", tmp.resolve("store").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "timed out");
    assertEquals(2, p.exitValue(), out);
    assertTrue(out.contains("invalid image name 'Bad:Name'"), out);
    assertFalse(out.contains("%"), "nothing read: " + out);
  }

  @Test
  void noPercentagesForATinyImage() throws Exception {
    Path tiny =
        TestImage.image()
            .layer(TarBuilder.tar().file("etc/hostname", "tiny\n").build(), Compression.GZIP)
            .writeDockerArchive(tmp.resolve("tiny.tar"), "tiny:1");
    String err = run(isula("export", tiny.toString(), tmp.resolve("t.tar").toString()), false);
    assertFalse(err.contains("%"), err);
    assertTrue(err.contains("exported"), err);
  }
}
