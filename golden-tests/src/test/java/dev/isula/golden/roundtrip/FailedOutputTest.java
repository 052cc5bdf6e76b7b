package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.golden.roundtrip.Samples.Sample;
import dev.isula.golden.roundtrip.WrittenImage.Target;
import dev.isula.toolkit.hash.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A failed import or split leaves no output behind: an existing target keeps its bytes, a new one
 * does not appear, no partial or scratch file stays.
 */
class FailedOutputTest {
  @TempDir Path tmp;

  /** Broken rootfs inputs: name and how to make its bytes. */
  static Stream<Arguments> brokenInputs() throws Exception {
    byte[] tar = PlainImportTest.biggerRootfsTar();
    byte[] gz = PlainImportTest.compress(tar, "tar.gz");
    byte[] zst = PlainImportTest.compress(tar, "tar.zst");
    byte[] badCrc = gz.clone();
    badCrc[badCrc.length - 6] ^= 0x55; // in the gzip trailer's CRC32
    byte[] notTar = new byte[4096];
    Arrays.fill(notTar, (byte) 'x');
    return Stream.of(
        Arguments.of("truncated.tar.gz", Arrays.copyOf(gz, gz.length / 2)),
        Arguments.of("bad-crc.tar.gz", badCrc),
        Arguments.of("truncated.tar", Arrays.copyOf(tar, tar.length / 2 + 100)),
        Arguments.of("truncated.tar.zst", Arrays.copyOf(zst, zst.length - 50)),
        Arguments.of("not-a-tar", notTar),
        Arguments.of("empty", new byte[0]));
  }

  /** An OCI layout already holding the hello sample under tag v1. */
  private Path existingLayout() throws Exception {
    Path dir = tmp.resolve("layout");
    Samples.byName("hello").writeOciLayout(dir);
    return dir;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenInputs")
  void brokenInputLeavesAnExistingOciLayoutAsItWas(String name, byte[] content) throws Exception {
    Path input = tmp.resolve(name);
    Files.write(input, content);
    Path layout = existingLayout();
    String before = Trees.checksum(layout);
    byte[] index = Files.readAllBytes(layout.resolve("index.json"));
    Isula.Run run = Isula.run("import", "-q", input.toString(), "-o", "oci:" + layout + ":new");
    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(1, run.errLines().size(), run::toString);
    assertTrue(run.err().contains(input.toString()), "names the input: " + run);
    assertEquals("", run.out());
    assertArrayEquals(index, Files.readAllBytes(layout.resolve("index.json")));
    assertEquals(before, Trees.checksum(layout), "the layout must be unchanged");
    WrittenImage.readOciLayout(layout, Samples.ociTag()); // and still readable
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenInputs")
  void brokenInputLeavesExistingArchivesAsTheyWere(String name, byte[] content) throws Exception {
    Path input = tmp.resolve(name);
    Files.write(input, content);
    Path out = Files.createDirectories(tmp.resolve("out"));
    Sample hello = Samples.byName("hello");
    Path docker = out.resolve("x.tar");
    hello.writeDockerArchive(docker);
    Path oci = out.resolve("x-oci.tar");
    hello.writeOciArchive(oci);
    byte[] dockerBefore = Files.readAllBytes(docker);
    byte[] ociBefore = Files.readAllBytes(oci);
    for (String target : List.of("docker-archive:" + docker, "oci-archive:" + oci + ":new")) {
      Isula.Run run = Isula.run("import", "-q", input.toString(), "-o", target);
      assertEquals(1, run.exitCode(), run::toString);
    }
    assertArrayEquals(dockerBefore, Files.readAllBytes(docker), "docker-archive unchanged");
    assertArrayEquals(ociBefore, Files.readAllBytes(oci), "oci-archive unchanged");
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(
          List.of("x-oci.tar", "x.tar"),
          s.map(p -> p.getFileName().toString()).sorted().toList(),
          "no partial file left next to the targets");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenInputs")
  void brokenInputCreatesNoNewTarget(String name, byte[] content) throws Exception {
    Path input = tmp.resolve(name);
    Files.write(input, content);
    Path out = Files.createDirectories(tmp.resolve("out"));
    for (Target t : Target.values()) {
      Isula.Run run = Isula.run("import", "-q", input.toString(), "-o", t.ref(out, "new"));
      assertEquals(1, run.exitCode(), run::toString);
    }
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(List.of(), s.toList(), "nothing created");
    }
  }

  /** Scratch files (the layer being built) go to $TMPDIR and must be gone after a failure. */
  @Test
  void brokenInputLeavesNoScratchFiles() throws Exception {
    byte[] gz = PlainImportTest.compress(PlainImportTest.biggerRootfsTar(), "tar.gz");
    Path input = tmp.resolve("truncated.tar.gz");
    Files.write(input, Arrays.copyOf(gz, gz.length / 2));
    Path scratch = Files.createDirectories(tmp.resolve("scratch"));
    Isula.Run run =
        Isula.subprocess(
            tmp,
            Map.of("TMPDIR", scratch.toString()),
            null,
            "import",
            "-q",
            input.toString(),
            "-o",
            "oci:layout:new");
    assertEquals(1, run.exitCode(), run::toString);
    try (Stream<Path> s = Files.list(scratch)) {
      assertEquals(List.of(), s.toList(), "scratch files must be removed");
    }
    assertFalse(Files.exists(tmp.resolve("layout")));
    // a missing rootfs for import --rootfs, then a successful import: no scratch file either
    Isula.Run missing =
        Isula.subprocess(
            tmp,
            Map.of("TMPDIR", scratch.toString()),
            null,
            "import",
            "-q",
            "--compress",
            "zstd",
            "--rootfs",
            "nonexistent",
            "x.tar",
            "-o",
            "oci:layout:new");
    assertEquals(1, missing.exitCode(), missing::toString);
    Path good = tmp.resolve("good.tar.gz");
    Files.write(good, gz);
    Isula.Run fine =
        Isula.subprocess(
            tmp,
            Map.of("TMPDIR", scratch.toString()),
            null,
            "import",
            "-q",
            good.toString(),
            "-o",
            "oci:layout:new");
    assertEquals(0, fine.exitCode(), fine::toString);
    try (Stream<Path> s = Files.list(scratch)) {
      assertEquals(List.of(), s.toList(), "scratch files must be removed after success too");
    }
  }

  @Test
  void ociTargetThatIsNoLayoutIsRefusedAndLeftAlone() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("notalayout"));
    Files.writeString(dir.resolve("important.txt"), "do not touch\n");
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, PlainImportTest.rootfsTar());
    String before = Trees.checksum(dir);
    Isula.Run run = Isula.run("import", "-q", input.toString(), "-o", "oci:" + dir + ":t");
    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(before, Trees.checksum(dir));
  }

  /** import --rootfs with a changed rootfs: the existing target keeps its bytes. */
  @Test
  void refusedRootfsImportLeavesExistingTargetsAlone() throws Exception {
    String image = Samples.byName("hello").writeDockerArchive(tmp.resolve("hello.tar"));
    Path split = tmp.resolve("split");
    SplitRoundTripTest.split(List.of(), null, image, split).ok();
    Files.writeString(split.resolve("rootfs/etc/motd"), "changed\n");
    Path existing = tmp.resolve("existing.tar");
    Samples.byName("whiteouts").writeDockerArchive(existing);
    byte[] before = Files.readAllBytes(existing);
    Path layout = existingLayout();
    String layoutBefore = Trees.checksum(layout);
    for (String target : List.of("docker-archive:" + existing, "oci:" + layout + ":v1")) {
      Isula.Run run =
          Isula.run(
              "import",
              "-q",
              "--rootfs",
              split.resolve("rootfs").toString(),
              split.resolve("empty.tar").toString(),
              "-o",
              target);
      assertEquals(1, run.exitCode(), run::toString);
    }
    assertArrayEquals(before, Files.readAllBytes(existing));
    assertEquals(layoutBefore, Trees.checksum(layout));
  }

  // ---------------------------------------------------------------- split of a corrupt image

  /**
   * The whiteouts sample as an OCI layout with one byte of a layer changed: layer 0 is stored
   * uncompressed, so the change (inside etc/hostname's content) keeps the tar readable and is only
   * found by the digest check at the end of the layer, after its entries were written; layer 2 is
   * zstd, where the change breaks the compressed stream or its checksum.
   */
  private String corruptLayout(int layer) throws Exception {
    Sample sample = Samples.byName("whiteouts");
    Path dir = tmp.resolve("corrupt-" + layer);
    String ref = sample.writeOciLayout(dir);
    byte[] blob = sample.image().blob(layer);
    Path file = dir.resolve("blobs/sha256/" + Digest.sha256(blob).hex());
    byte[] bytes = Files.readAllBytes(file);
    if (layer == 0) {
      int at = indexOf(bytes, "base\n".getBytes(StandardCharsets.UTF_8));
      assertTrue(at > 0, "etc/hostname's content is in the layer");
      bytes[at] = 'B';
    } else {
      bytes[bytes.length / 2] ^= 0x40;
    }
    Files.write(file, bytes);
    return ref;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (hay[i + k] != needle[k]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static Stream<Arguments> corruptSplits() {
    List<Arguments> out = new ArrayList<>();
    for (int layer : List.of(0, 2)) {
      for (String format : List.of("dir", "tar")) {
        for (boolean existed : List.of(false, true)) {
          out.add(Arguments.of(layer, format, existed));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "corrupt layer {0}, --rootfs-format {1}, OUTDIR existed: {2}")
  @MethodSource("corruptSplits")
  void splitOfACorruptImageLeavesNoOutput(int layer, String format, boolean existed)
      throws Exception {
    String ref = corruptLayout(layer);
    Path out = tmp.resolve("out");
    if (existed) {
      Files.createDirectories(out);
    }
    Isula.Run run = SplitRoundTripTest.split(List.of(), format, ref, out);
    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(1, run.errLines().size(), run::toString);
    if (existed) {
      try (Stream<Path> s = Files.list(out)) {
        assertEquals(List.of(), s.toList(), "an existing OUTDIR is left empty: " + run);
      }
    } else {
      assertFalse(Files.exists(out), "OUTDIR must not be left behind: " + run);
    }
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(
          new java.util.TreeSet<>(List.of("corrupt-" + layer)),
          new java.util.TreeSet<>(
              s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("out")).toList()),
          "nothing else appears next to OUTDIR");
    }
  }

  /**
   * Convert to a docker-archive streams a compressed layer straight into the archive and checks it
   * at its end (layer 2, zstd); a plain layer is copied and checked (layer 0). Either way a bad
   * layer fails the command and leaves no archive.
   */
  @ParameterizedTest
  @ValueSource(ints = {0, 2})
  void convertOfACorruptImageToADockerArchiveLeavesNoOutput(int layer) throws Exception {
    String ref = corruptLayout(layer);
    Path out = tmp.resolve("out.tar");
    Isula.Run run = Isula.run("convert", "-q", ref, "docker-archive:" + out + ":x:y");
    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(1, run.errLines().size(), run::toString);
    assertFalse(Files.exists(out), run::toString);
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(
          List.of("corrupt-" + layer), s.map(p -> p.getFileName().toString()).toList(), "left");
    }
  }

  /** A docker-archive whose layer.tar does not match its DiffID. */
  @ParameterizedTest
  @ValueSource(strings = {"dir", "tar"})
  void splitOfADockerArchiveWithAWrongDiffIdLeavesNoOutput(String format) throws Exception {
    Sample sample = Samples.byName("hello");
    Path archive = tmp.resolve("hello.tar");
    sample.writeDockerArchive(archive);
    byte[] bytes = Files.readAllBytes(archive);
    int at =
        indexOf(bytes, "Welcome to the isula sample image.\n".getBytes(StandardCharsets.UTF_8));
    assertTrue(at > 0);
    bytes[at] = 'w';
    Files.write(archive, bytes);
    Path out = tmp.resolve("out");
    Isula.Run run = SplitRoundTripTest.split(List.of(), format, "docker-archive:" + archive, out);
    assertEquals(1, run.exitCode(), run::toString);
    assertFalse(Files.exists(out), run::toString);
    TreeMap<String, String> left = Trees.snapshot(tmp);
    assertEquals(List.of(".", "hello.tar"), new ArrayList<>(left.keySet()));
  }
}
