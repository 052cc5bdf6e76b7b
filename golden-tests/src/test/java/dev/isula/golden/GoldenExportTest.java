package dev.isula.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.golden.SampleImages.InputFormat;
import dev.isula.golden.SampleImages.Sample;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.tar.TarListing;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.approvaltests.Approvals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden tests of {@code isula export}: every sample image, written in every input format, is
 * exported through the command line; the four outputs must be byte-identical, a rerun must give the
 * same bytes, and the rootfs listing of each sample is approved once.
 */
class GoldenExportTest {
  @TempDir Path tmp;

  static Stream<String> sampleNames() {
    return SampleImages.names().stream();
  }

  /** Exports {@code image} to a new file under {@link #tmp}; fails unless the export succeeds. */
  private byte[] export(List<String> options, String image, String fileName) throws IOException {
    Path out = tmp.resolve(fileName);
    CliRun run = CliRun.export(options, image, out.toString());
    assertEquals(0, run.exitCode(), () -> "export " + image + " failed:\n" + run);
    assertEquals("", run.err(), "-q prints nothing on success");
    assertEquals("", run.out(), "nothing goes to stdout when OUTPUT is a file");
    return Files.readAllBytes(out);
  }

  private static String listing(byte[] tar) throws Exception {
    return TarListing.of(new ByteArrayInputStream(tar));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sampleNames")
  void exportListing(String sampleName) throws Exception {
    Sample sample = SampleImages.byName(sampleName);
    Map<InputFormat, byte[]> exports = new LinkedHashMap<>();
    Path inputs = Files.createDirectories(tmp.resolve("in"));
    for (InputFormat f : InputFormat.values()) {
      String ref = f.write(sample, inputs);
      exports.put(f, export(sample.exportOptions(), ref, sampleName + "-" + f.label + ".tar"));
    }
    byte[] reference = exports.get(InputFormat.OCI_LAYOUT);
    for (Map.Entry<InputFormat, byte[]> e : exports.entrySet()) {
      assertArrayEquals(
          reference,
          e.getValue(),
          sampleName + ": export from " + e.getKey().label + " differs from the OCI layout's");
    }

    // a rerun, from a sample built afresh into new files, on one thread instead of all cores
    Sample again = SampleImages.byName(sampleName);
    Path inputs2 = Files.createDirectories(tmp.resolve("in-again"));
    for (InputFormat f : InputFormat.values()) {
      String ref = f.write(again, inputs2);
      List<String> options = new ArrayList<>(again.exportOptions());
      options.add("--threads");
      options.add("1");
      byte[] rerun = export(options, ref, sampleName + "-" + f.label + "-again.tar");
      assertArrayEquals(reference, rerun, sampleName + ": rerun from " + f.label + " differs");
    }

    String text = listing(reference);
    assertFalse(text.contains(".wh."), "no whiteout or opaque marker may reach the output");
    Approvals.verify(text, Approvals.NAMES.withParameters(sampleName));
  }

  /** Input files themselves are deterministic: building a sample twice gives the same bytes. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("sampleNames")
  void samplesAreDeterministic(String sampleName) throws Exception {
    for (InputFormat f : InputFormat.values()) {
      Path a = Files.createDirectories(tmp.resolve("a"));
      Path b = Files.createDirectories(tmp.resolve("b"));
      String refA = f.write(SampleImages.byName(sampleName), a);
      String refB = f.write(SampleImages.byName(sampleName), b);
      Path pa = Path.of(refA.split(":")[1]);
      Path pb = Path.of(refB.split(":")[1]);
      if (Files.isDirectory(pa)) {
        try (Stream<Path> files = Files.walk(pa)) {
          for (Path p : files.filter(Files::isRegularFile).toList()) {
            assertArrayEquals(
                Files.readAllBytes(p),
                Files.readAllBytes(pb.resolve(pa.relativize(p))),
                sampleName + " " + f.label + ": " + pa.relativize(p));
          }
        }
      } else {
        assertArrayEquals(
            Files.readAllBytes(pa), Files.readAllBytes(pb), sampleName + " " + f.label);
      }
    }
  }

  /** Bare paths are detected by content and give the same rootfs as explicit transports. */
  @Test
  void barePathsAreDetectedByContent() throws Exception {
    Sample sample = SampleImages.whiteouts();
    Path in = Files.createDirectories(tmp.resolve("in"));
    byte[] expected = export(List.of(), InputFormat.OCI_LAYOUT.write(sample, in), "explicit.tar");
    for (InputFormat f : InputFormat.values()) {
      String ref = f.write(sample, in);
      String bare = ref.substring(ref.indexOf(':') + 1);
      if (f == InputFormat.OCI_LAYOUT || f == InputFormat.OCI_ARCHIVE) {
        bare = bare.substring(0, bare.lastIndexOf(':')); // the only image; no tag needed
      }
      assertArrayEquals(expected, export(List.of(), bare, "bare-" + f.label + ".tar"), f.label);
    }
  }

  /** The image config as read through the public API, pretty and sorted, from every format. */
  @Test
  void configJson() throws Exception {
    Sample sample = SampleImages.whiteouts();
    Path in = Files.createDirectories(tmp.resolve("in"));
    FormatRegistry registry = FormatRegistry.load();
    String reference = null;
    Digest referenceId = null;
    for (InputFormat f : InputFormat.values()) {
      String ref = f.write(sample, in);
      try (ImageSource src = registry.open(ref, ReadOptions.defaults())) {
        Image img = src.image();
        String pretty = Json.prettySorted(img.config());
        if (reference == null) {
          reference = pretty;
          referenceId = img.configDigest();
        }
        assertEquals(reference, pretty, f.label);
        assertEquals(referenceId, img.configDigest(), f.label + ": config bytes differ");
        assertEquals(sample.image().tars().size(), img.layers().size(), f.label);
      }
    }
    assertEquals(Digest.sha256(sample.image().configBytes()), referenceId);
    Approvals.verify(reference);
  }

  // ---------------------------------------------------------------- platforms

  @Test
  void platformFlagPicksArm64FromTheIndex() throws Exception {
    Sample sample = SampleImages.multiPlatform();
    Path in = Files.createDirectories(tmp.resolve("in"));
    TestImage arm64 = SampleImages.platformImage("arm64", "v8", "aarch64");
    byte[] expected =
        export(
            List.of(),
            "oci:" + arm64.writeOciLayout(tmp.resolve("arm64-alone"), "x") + ":x",
            "arm64-alone.tar");
    for (InputFormat f : List.of(InputFormat.OCI_LAYOUT, InputFormat.OCI_ARCHIVE)) {
      String ref = f.write(sample, in);
      for (String platform : List.of("linux/arm64", "linux/arm64/v8", "linux/aarch64")) {
        byte[] got =
            export(
                List.of("--platform", platform),
                ref,
                "arm64-" + f.label + "-" + platform.replace('/', '_') + ".tar");
        assertArrayEquals(expected, got, f.label + " --platform " + platform);
      }
    }
    assertTrue(listing(expected).contains(" etc/platform"), "sanity: the listing has the file");
    byte[] amd64 =
        export(
            List.of("--platform", "linux/amd64"),
            InputFormat.OCI_LAYOUT.write(sample, in),
            "amd64.tar");
    assertFalse(Arrays.equals(expected, amd64), "amd64 and arm64 rootfs must differ");
  }

  @Test
  void nonMatchingPlatformFailsListingTheAvailableOnes() throws Exception {
    Sample sample = SampleImages.multiPlatform();
    Path in = Files.createDirectories(tmp.resolve("in"));
    for (InputFormat f : List.of(InputFormat.OCI_LAYOUT, InputFormat.OCI_ARCHIVE)) {
      String ref = f.write(sample, in);
      Path out = tmp.resolve("s390x-" + f.label + ".tar");
      CliRun run = CliRun.export(List.of("--platform", "linux/s390x"), ref, out.toString());
      assertEquals(1, run.exitCode(), run::toString);
      assertEquals(1, run.errLines().size(), run::toString);
      String line = run.errLines().get(0);
      assertTrue(line.contains("linux/s390x"), line);
      assertTrue(line.contains("linux/amd64"), line);
      assertTrue(line.contains("linux/arm64/v8"), line);
      assertFalse(line.contains("unknown"), "the attestation is no image to offer: " + line);
      assertFalse(Files.exists(out));
    }
  }

  // ---------------------------------------------------------------- docker-archive selection

  private static TestImage smallImage(String marker) {
    TarBuilder t = TarBuilder.tar();
    t.dir("etc");
    t.file("etc/which", marker + "\n");
    return TestImage.image().layer(t.build()).cmd("/bin/true").env("WHICH", marker);
  }

  /** A classic docker-archive holding two images, as {@code docker save a b} writes. */
  private Path twoImageArchive(TestImage first, TestImage second) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (TestImage img : List.of(first, second)) {
      byte[] config = img.configBytes();
      files.put(Digest.sha256(config).hex() + ".json", config);
      for (byte[] tar : img.tars()) {
        String id = Digest.sha256(tar).hex();
        files.put(id + "/VERSION", "1.0".getBytes(StandardCharsets.UTF_8));
        files.put(id + "/layer.tar", tar);
      }
    }
    files.put(
        "manifest.json",
        TestImage.dockerManifest(
            List.of(first, second),
            List.of(List.of("first:1"), List.of("example.com/team/second:2")),
            false));
    Path file = tmp.resolve("two.tar");
    TestImage.writeTar(file, files);
    return file;
  }

  @Test
  void dockerArchiveSelectsByIndexAndByName() throws Exception {
    TestImage first = smallImage("first");
    TestImage second = smallImage("second");
    Path two = twoImageArchive(first, second);
    byte[] firstAlone =
        export(
            List.of(),
            "docker-archive:" + first.writeDockerArchive(tmp.resolve("a.tar"), "x:1"),
            "first-alone.tar");
    byte[] secondAlone =
        export(
            List.of(),
            "docker-archive:" + second.writeDockerArchive(tmp.resolve("b.tar"), "y:1"),
            "second-alone.tar");
    assertFalse(Arrays.equals(firstAlone, secondAlone));

    assertArrayEquals(firstAlone, export(List.of(), "docker-archive:" + two + ":@0", "at0.tar"));
    assertArrayEquals(secondAlone, export(List.of(), "docker-archive:" + two + ":@1", "at1.tar"));
    assertArrayEquals(
        firstAlone, export(List.of(), "docker-archive:" + two + ":first:1", "first.tar"));
    assertArrayEquals(
        firstAlone,
        export(List.of(), "docker-archive:" + two + ":docker.io/library/first:1", "first-fq.tar"));
    assertArrayEquals(
        secondAlone,
        export(List.of(), "docker-archive:" + two + ":example.com/team/second:2", "second.tar"));
  }

  @Test
  void dockerArchiveWithTwoImagesNeedsASelector() throws Exception {
    Path two = twoImageArchive(smallImage("first"), smallImage("second"));
    for (String ref :
        List.of(
            "docker-archive:" + two,
            two.toString(),
            "docker-archive:" + two + ":@2",
            "docker-archive:" + two + ":third:3")) {
      Path out = tmp.resolve("out.tar");
      CliRun run = CliRun.export(List.of(), ref, out.toString());
      assertEquals(1, run.exitCode(), run::toString);
      assertEquals(1, run.errLines().size(), run::toString);
      String line = run.errLines().get(0);
      assertTrue(line.contains(two.toString()), line);
      assertTrue(line.contains(":@0 (first:1)"), line);
      assertTrue(line.contains(":@1 (example.com/team/second:2)"), line);
      assertFalse(Files.exists(out), ref);
    }
  }

  // ---------------------------------------------------------------- output compression

  @ParameterizedTest
  @ValueSource(strings = {"rootfs.tar.gz", "rootfs.tgz", "rootfs.tar.zst"})
  void outputCompressionFollowsTheExtension(String name) throws Exception {
    Sample sample = SampleImages.specialFiles();
    String ref = InputFormat.OCI_LAYOUT.write(sample, Files.createDirectories(tmp.resolve("in")));
    byte[] plain = export(List.of(), ref, "plain.tar");
    byte[] compressed = export(List.of(), ref, name);
    Compression expected = Compression.fromFileName(name);
    assertTrue(expected != Compression.NONE);
    assertEquals(expected, Compression.detect(compressed, compressed.length), name);
    assertArrayEquals(plain, decompress(compressed), name);
    assertArrayEquals(compressed, export(List.of(), ref, "again-" + name), "rerun of " + name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "zstd", "xz", "none"})
  void compressFlagOverridesTheExtension(String id) throws Exception {
    Sample sample = SampleImages.specialFiles();
    String ref = InputFormat.OCI_LAYOUT.write(sample, Files.createDirectories(tmp.resolve("in")));
    byte[] plain = export(List.of(), ref, "plain.tar");
    // a name whose extension says something else: the flag wins
    byte[] out = export(List.of("--compress", id), ref, "rootfs-" + id + ".tar.bz2");
    Compression c = Compression.fromId(id);
    assertEquals(c, Compression.detect(out, out.length), id);
    assertArrayEquals(plain, decompress(out), id);
  }

  private static byte[] decompress(byte[] data) throws IOException {
    try (InputStream in = Compression.decompress(new ByteArrayInputStream(data))) {
      return in.readAllBytes();
    }
  }
}
