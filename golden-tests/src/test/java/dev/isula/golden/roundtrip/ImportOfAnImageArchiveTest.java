package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import} of a file that is itself an image archive imports the archive's files as a root
 * filesystem, as {@code docker import} and {@code isula import} do, and says on one warning line
 * (kept with {@code -q}) that {@code load} or {@code export} was probably meant. Which archives
 * count is up to the installed formats; a rootfs that merely holds such files below its top level
 * is no archive.
 */
class ImportOfAnImageArchiveTest {
  @TempDir Path tmp;

  private static final TestImage IMG = Samples.byName("hello").image();

  /** Imports {@code input} quietly; returns the warning lines after checking the layer. */
  private List<String> importAndWarnings(Path input, byte[] expectedLayer) throws Exception {
    Path out = tmp.resolve("out-" + input.getFileName() + ".tar");
    Isula.Run run = Isula.run("import", "-q", "-o", "docker-archive:" + out + ":i:1", input + "");
    assertEquals(0, run.exitCode(), run::toString);
    WrittenImage w = WrittenImage.readDockerArchive(out);
    assertEquals(1, w.layers().size(), run::toString);
    assertArrayEquals(
        expectedLayer, w.layers().get(0).tar(), "the archive's own bytes are the layer: " + input);
    return run.errLines();
  }

  private static String warning(Path input, String formats) {
    return "warning: "
        + input
        + " is itself an image archive ("
        + formats
        + "); imported its files as a root filesystem, as docker import does. To read the image,"
        + " use 'load' (into the store) or 'export' (its flattened root filesystem)";
  }

  @Test
  void anImageArchiveIsImportedAsItsFilesWithOneWarning() throws Exception {
    Path docker = IMG.writeDockerArchive(tmp.resolve("docker.tar"), "a:1");
    Path oci = IMG.writeOciArchive(tmp.resolve("oci.tar"), "v1");
    Path docker25 = IMG.writeDocker25Archive(tmp.resolve("docker25.tar"), "a:1");
    Path gz = tmp.resolve("docker.tar.gz");
    Files.write(gz, PlainImportTest.compress(Files.readAllBytes(docker), "tar.gz"));
    assertEquals(
        List.of(warning(docker, "docker-archive")),
        importAndWarnings(docker, Files.readAllBytes(docker)));
    assertEquals(
        List.of(warning(oci, "oci-archive")), importAndWarnings(oci, Files.readAllBytes(oci)));
    assertEquals(
        List.of(warning(docker25, "docker-archive, oci-archive")),
        importAndWarnings(docker25, Files.readAllBytes(docker25)));
    assertEquals(
        List.of(warning(gz, "docker-archive")), importAndWarnings(gz, Files.readAllBytes(docker)));
  }

  /** On standard input the archive is read once, and still recognised. */
  @Test
  void onStandardInputToo() throws Exception {
    Path docker = IMG.writeDockerArchive(tmp.resolve("stdin-docker.tar"), "a:1");
    Path out = tmp.resolve("from-stdin.tar");
    Isula.Run run =
        Isula.subprocess(
            tmp, Map.of(), docker, "import", "-q", "-o", "docker-archive:" + out + ":i:1", "-");
    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(
        List.of(
            "warning: standard input is itself an image archive (docker-archive); imported its"
                + " files as a root filesystem, as docker import does. To read the image, use"
                + " 'load' (into the store) or 'export' (its flattened root filesystem)"),
        run.errLines().stream().filter(l -> !l.startsWith("WARNING:")).toList(),
        run::toString);
    assertArrayEquals(
        Files.readAllBytes(docker), WrittenImage.readDockerArchive(out).layers().get(0).tar());
  }

  @Test
  void aRootfsWithSuchFilesBelowItsTopIsNoArchive() throws Exception {
    TarBuilder t = TarBuilder.tar();
    t.dir("etc");
    t.file("etc/manifest.json", "[]");
    t.dir("srv");
    t.file("srv/index.json", "{}");
    t.file("srv/oci-layout", "{}");
    t.file("index.json", "{}"); // index.json alone is no OCI layout
    byte[] tar = t.build();
    Path in = tmp.resolve("rootfs.tar");
    Files.write(in, tar);
    assertEquals(List.of(), importAndWarnings(in, tar));
  }
}
