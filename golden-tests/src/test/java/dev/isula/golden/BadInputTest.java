package dev.isula.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken and hostile input, and bad usage: {@code isula export} must fail with exit status 1 (2 for
 * bad usage), say what is wrong in one line on stderr naming the file or entry at fault, print no
 * stack trace unless {@code --debug} is given, and leave nothing at OUTPUT: no file, no temporary
 * {@code .*.partial} file, and an existing file untouched.
 */
class BadInputTest {
  private static final String PREFIX = "isula export: ";

  @TempDir Path tmp;
  private Path in;
  private Path outDir;
  private Path out;

  @BeforeEach
  void dirs() throws IOException {
    in = Files.createDirectories(tmp.resolve("in"));
    outDir = Files.createDirectories(tmp.resolve("out"));
    out = outDir.resolve("rootfs.tar");
  }

  // ---------------------------------------------------------------- assertions

  /** Runs the export and checks the failure contract; returns the one error line. */
  private String exportFails(int exitCode, String image, String... mentions) throws IOException {
    return exportFails(exitCode, List.of(), image, mentions);
  }

  private String exportFails(int exitCode, List<String> options, String image, String... mentions)
      throws IOException {
    CliRun run = CliRun.export(options, image, out.toString());
    assertEquals(exitCode, run.exitCode(), run::toString);
    assertEquals("", run.out(), run::toString);
    List<String> lines = run.errLines();
    assertEquals(1, lines.size(), () -> "exactly one line on stderr:\n" + run);
    String line = lines.get(0);
    assertTrue(line.startsWith(PREFIX), line);
    assertFalse(line.contains("Exception"), "no exception class names: " + line);
    assertFalse(line.contains("internal error"), line);
    for (String m : mentions) {
      assertTrue(line.contains(m), () -> "the message should mention '" + m + "': " + line);
    }
    assertNothingLeftBehind();
    return line;
  }

  private void assertNothingLeftBehind() throws IOException {
    assertFalse(Files.exists(out), "no output file may be left behind");
    try (Stream<Path> s = Files.list(outDir)) {
      List<Path> left = s.toList();
      assertEquals(List.of(), left, "nothing may be left in the output directory");
    }
  }

  // ---------------------------------------------------------------- fixtures

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A two-layer image: a 4 MiB file at the bottom (so export output is well under way). */
  private static TestImage bigBottomImage(Compression bottom) {
    TarBuilder l0 = TarBuilder.tar();
    l0.dir("data");
    byte[] big = new byte[4 << 20];
    new Random(7).nextBytes(big);
    l0.file("data/big.bin", big, 0644);
    l0.file("data/after-big", "streamed after 4 MiB\n");
    TarBuilder l1 = TarBuilder.tar();
    l1.file("data/upper", "from the upper layer\n");
    return TestImage.image().layer(l0.build(), bottom).layer(l1.build(), Compression.GZIP);
  }

  private static TestImage simpleImage() {
    TarBuilder l0 = TarBuilder.tar();
    l0.dir("etc");
    l0.file("etc/hostname", "simple\n");
    TarBuilder l1 = TarBuilder.tar();
    l1.file("etc/motd", "hi\n");
    return TestImage.image().layer(l0.build()).layer(l1.build(), Compression.ZSTD);
  }

  private static Path blobPath(Path layout, byte[] blob) {
    return layout.resolve("blobs/sha256/" + Digest.sha256(blob).hex());
  }

  /** Rewrites the (only) manifest of an OCI layout and points index.json at the new one. */
  private static void rewriteManifest(Path layout, Consumer<ObjectNode> edit) throws IOException {
    ObjectNode index = (ObjectNode) Json.mapper().readTree(layout.resolve("index.json").toFile());
    ObjectNode d = (ObjectNode) index.get("manifests").get(0);
    String oldHex = Digest.parse(d.get("digest").asText()).hex();
    ObjectNode manifest =
        (ObjectNode)
            Json.mapper().readTree(Files.readAllBytes(layout.resolve("blobs/sha256/" + oldHex)));
    edit.accept(manifest);
    byte[] bytes = Json.compact(manifest);
    Files.write(layout.resolve("blobs/sha256/" + Digest.sha256(bytes).hex()), bytes);
    d.put("digest", Digest.sha256(bytes).toString());
    d.put("size", bytes.length);
    Files.write(layout.resolve("index.json"), Json.compact(index));
  }

  /** Files of a classic docker-archive for {@code img}, with the config given as bytes. */
  private static Map<String, byte[]> dockerFiles(
      TestImage img, byte[] config, List<String> layers) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put(Digest.sha256(config).hex() + ".json", config);
    for (byte[] t : img.tars()) {
      String id = Digest.sha256(t).hex();
      files.put(id + "/VERSION", utf8("1.0"));
      files.put(id + "/layer.tar", t);
    }
    String manifest =
        "[{\"Config\":\""
            + Digest.sha256(config).hex()
            + ".json\",\"RepoTags\":[\"bad:1\"],\"Layers\":["
            + String.join(",", layers.stream().map(l -> "\"" + l + "\"").toList())
            + "]}]";
    files.put("manifest.json", utf8(manifest));
    return files;
  }

  private static List<String> layerNames(TestImage img) {
    return img.tars().stream().map(t -> Digest.sha256(t).hex() + "/layer.tar").toList();
  }

  // ---------------------------------------------------------------- not an image at all

  @Test
  void randomBytesAreNotAnArchive() throws IOException {
    byte[] junk = new byte[10_000];
    new Random(42).nextBytes(junk);
    junk[0] = 'J'; // never a compression magic by chance
    Path f = Files.write(in.resolve("junk.tar"), junk);
    exportFails(1, f.toString(), f.toString(), "not an image");
    exportFails(1, "docker-archive:" + f, f.toString());
    exportFails(1, "oci-archive:" + f, f.toString());
  }

  @Test
  void emptyFile() throws IOException {
    Path f = Files.write(in.resolve("empty.tar"), new byte[0]);
    exportFails(1, f.toString(), f.toString());
    exportFails(1, "docker-archive:" + f, f.toString());
    exportFails(1, "oci-archive:" + f, f.toString());
  }

  @Test
  void truncatedArchive() throws IOException {
    for (SampleImages.InputFormat format :
        List.of(
            SampleImages.InputFormat.DOCKER_ARCHIVE,
            SampleImages.InputFormat.DOCKER25_ARCHIVE,
            SampleImages.InputFormat.OCI_ARCHIVE)) {
      String ref = format.write(SampleImages.whiteouts(), in);
      Path f = Path.of(ref.split(":")[1]);
      byte[] whole = Files.readAllBytes(f);
      Files.write(f, Arrays.copyOf(whole, whole.length / 2));
      exportFails(1, ref, f.toString());
      exportFails(1, f.toString(), f.toString());
    }
  }

  // ---------------------------------------------------------------- broken images

  @Test
  void missingLayerBlob() throws IOException {
    TestImage img = simpleImage();
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    Files.delete(blobPath(layout, img.blob(1)));
    exportFails(
        1, "oci:" + layout + ":v1", layout.toString(), Digest.sha256(img.blob(1)).toString());
  }

  /**
   * The bottom layer's gzip header is altered where decompression does not look (its MTIME field):
   * the tar inside is intact and its DiffID matches, only the blob digest is wrong. That is found
   * once the whole layer has streamed to the output, which must then be discarded.
   */
  @Test
  void layerBlobDigestMismatchAfterStreamingStarted() throws Exception {
    TestImage img = bigBottomImage(Compression.GZIP);
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    Path blob = blobPath(layout, img.blob(0));
    byte[] b = Files.readAllBytes(blob);
    b[4] ^= 0x55; // gzip MTIME
    Files.write(blob, b);
    exportFails(
        1,
        "oci:" + layout + ":v1",
        "layer 1/2",
        "digest mismatch",
        Digest.sha256(img.blob(0)).toString());
    // the same export through the API, counting what reached the output before the failure
    long[] written = {0};
    OutputStream counting =
        new OutputStream() {
          @Override
          public void write(int b) {
            written[0]++;
          }

          @Override
          public void write(byte[] b, int off, int len) {
            written[0] += len;
          }
        };
    try (ImageSource src =
        FormatRegistry.load().open("oci:" + layout + ":v1", ReadOptions.defaults())) {
      assertThrows(
          DigestMismatchException.class,
          () -> RootfsExporter.create(Compression.NONE, 2, null).exportTo(src.image(), counting));
    }
    assertTrue(
        written[0] > 1 << 20,
        "the export had streamed " + written[0] + " bytes before the mismatch was found");
  }

  /** An uncompressed bottom layer with one content byte flipped near its end. */
  @Test
  void layerContentDigestMismatchAfterStreamingStarted() throws IOException {
    TestImage img = bigBottomImage(Compression.NONE);
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    Path blob = blobPath(layout, img.blob(0));
    byte[] b = Files.readAllBytes(blob);
    b[1024 + (4 << 20) - 10] ^= 0x01; // near the end of data/big.bin's content
    Files.write(blob, b);
    exportFails(1, "oci:" + layout + ":v1", "layer 1/2", "digest mismatch");
  }

  @Test
  void corruptCompressedLayerData() throws IOException {
    for (Compression c : List.of(Compression.GZIP, Compression.ZSTD)) {
      TestImage img = bigBottomImage(c);
      Path layout = img.writeOciLayout(in.resolve("layout-" + c.id()), "v1");
      Path blob = blobPath(layout, img.blob(0));
      byte[] b = Files.readAllBytes(blob);
      for (int i = b.length / 2; i < b.length / 2 + 64; i++) {
        b[i] ^= (byte) 0xa5;
      }
      Files.write(blob, b);
      exportFails(1, "oci:" + layout + ":v1", "layer 1/2");
    }
  }

  @Test
  void truncatedLayerBlob() throws IOException {
    for (Compression c : List.of(Compression.NONE, Compression.GZIP, Compression.ZSTD)) {
      TestImage img = bigBottomImage(c);
      Path layout = img.writeOciLayout(in.resolve("layout-" + c.id()), "v1");
      Path blob = blobPath(layout, img.blob(0));
      byte[] b = Files.readAllBytes(blob);
      Files.write(blob, Arrays.copyOf(b, b.length / 2));
      exportFails(1, "oci:" + layout + ":v1", "layer 1/2");
    }
  }

  @Test
  void upperLayerDigestMismatch() throws IOException {
    TestImage img = bigBottomImage(Compression.GZIP);
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    Path blob = blobPath(layout, img.blob(1));
    byte[] b = Files.readAllBytes(blob);
    b[4] ^= 0x55;
    Files.write(blob, b);
    exportFails(1, "oci:" + layout + ":v1", "layer 2/2", "digest mismatch");
  }

  /**
   * A digest mismatch message must show both digests truthfully: "got" is the digest of the bytes
   * actually read, so the user can tell a corrupt blob from a wrong descriptor.
   */
  @Test
  void digestMismatchReportsTheDigestActuallyComputed() throws IOException {
    TestImage img = bigBottomImage(Compression.GZIP);
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    Path blob = blobPath(layout, img.blob(0));
    byte[] b = Files.readAllBytes(blob);
    b[4] ^= 0x55; // gzip MTIME: the blob changes, the tar inside does not
    Files.write(blob, b);
    exportFails(
        1,
        "oci:" + layout + ":v1",
        "expected " + Digest.sha256(img.blob(0)),
        "got " + Digest.sha256(b));

    // a wrong DiffID: what was read is the layer tar itself
    TestImage small = simpleImage();
    ObjectNode config = (ObjectNode) Json.mapper().readTree(small.configBytes());
    ((ArrayNode) config.get("rootfs").get("diff_ids"))
        .set(0, Json.mapper().getNodeFactory().textNode(Digest.sha256(utf8("wrong")).toString()));
    Path f = in.resolve("bad-diffid.tar");
    TestImage.writeTar(f, dockerFiles(small, Json.compact(config), layerNames(small)));
    exportFails(
        1,
        "docker-archive:" + f,
        "expected " + Digest.sha256(utf8("wrong")),
        "got " + Digest.sha256(small.tars().get(0)));
  }

  @Test
  void diffIdMismatchInDockerArchive() throws IOException {
    TestImage img = bigBottomImage(Compression.NONE);
    ObjectNode config = (ObjectNode) Json.mapper().readTree(img.configBytes());
    ArrayNode ids = (ArrayNode) config.get("rootfs").get("diff_ids");
    ids.set(0, Json.mapper().getNodeFactory().textNode(Digest.sha256(utf8("wrong")).toString()));
    Path f = in.resolve("bad-diffid.tar");
    TestImage.writeTar(f, dockerFiles(img, Json.compact(config), layerNames(img)));
    exportFails(
        1,
        "docker-archive:" + f,
        "layer 1/2",
        "DiffID",
        "digest mismatch",
        Digest.sha256(utf8("wrong")).toString());
  }

  @Test
  void layerEntryWithDotDot() throws IOException {
    for (int bad = 0; bad < 2; bad++) {
      TarBuilder good = TarBuilder.tar();
      good.file("etc/ok", "fine\n");
      TarBuilder evil = TarBuilder.tar();
      evil.file("etc/fine", "fine\n");
      evil.file("../evil", "escaped\n");
      TestImage img =
          bad == 0
              ? TestImage.image().layer(evil.build()).layer(good.build())
              : TestImage.image().layer(good.build()).layer(evil.build());
      Path layout = img.writeOciLayout(in.resolve("layout-" + bad), "v1");
      exportFails(1, "oci:" + layout + ":v1", "../evil", "layer " + (bad + 1) + "/2");
    }
  }

  @Test
  void layerEntryWithAbsolutePath() throws IOException {
    for (int bad = 0; bad < 2; bad++) {
      TarBuilder good = TarBuilder.tar();
      good.file("etc/ok", "fine\n");
      TarBuilder evil = TarBuilder.tar();
      evil.file("/abs/path", "absolute\n");
      TestImage img =
          bad == 0
              ? TestImage.image().layer(evil.build()).layer(good.build())
              : TestImage.image().layer(good.build()).layer(evil.build());
      Path f = img.writeDockerArchive(in.resolve("abs-" + bad + ".tar"), "abs:1");
      exportFails(1, "docker-archive:" + f, "/abs/path", "layer " + (bad + 1) + "/2");
    }
  }

  /** manifest.json names a layer that is a symlink inside the archive pointing out of it. */
  @Test
  void dockerArchiveLayerSymlinkPointingOutside() throws IOException {
    for (String target : List.of("../../etc/passwd", "/etc/passwd")) {
      TestImage img = simpleImage();
      byte[] config = img.configBytes();
      TarBuilder t = TarBuilder.tar();
      t.file(Digest.sha256(config).hex() + ".json", config, 0644);
      t.dir("evil");
      t.symlink("evil/layer.tar", target);
      t.dir("also-evil");
      t.symlink("also-evil/layer.tar", target);
      String manifest =
          "[{\"Config\":\""
              + Digest.sha256(config).hex()
              + ".json\",\"RepoTags\":[\"evil:1\"],"
              + "\"Layers\":[\"evil/layer.tar\",\"also-evil/layer.tar\"]}]";
      t.file("manifest.json", utf8(manifest), 0644);
      Path f = Files.write(in.resolve("symlink-out.tar"), t.build());
      exportFails(1, "docker-archive:" + f, "evil/layer.tar", target, "outside");
    }
  }

  @Test
  void manifestJsonOverOneMebibyte() throws IOException {
    TestImage img = simpleImage();
    byte[] config = img.configBytes();
    Map<String, byte[]> files = dockerFiles(img, config, layerNames(img));
    byte[] manifest = files.get("manifest.json");
    byte[] padded = new byte[(1 << 20) + 1];
    Arrays.fill(padded, (byte) ' ');
    System.arraycopy(manifest, 0, padded, 0, manifest.length);
    files.put("manifest.json", padded);
    Path f = in.resolve("huge-manifest.tar");
    TestImage.writeTar(f, files);
    exportFails(1, "docker-archive:" + f, f.toString(), "manifest.json", "larger than");
  }

  @Test
  void indexJsonOverOneMebibyte() throws IOException {
    TestImage img = simpleImage();
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    byte[] index = Files.readAllBytes(layout.resolve("index.json"));
    byte[] padded = new byte[(1 << 20) + 1];
    Arrays.fill(padded, (byte) '\n');
    System.arraycopy(index, 0, padded, 0, index.length);
    Files.write(layout.resolve("index.json"), padded);
    exportFails(1, "oci:" + layout + ":v1", layout.toString(), "index.json", "larger than");
  }

  @Test
  void indexJsonWithInvalidJson() throws IOException {
    TestImage img = simpleImage();
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    Files.write(
        layout.resolve("index.json"),
        utf8("{\"schemaVersion\": 2,\n \"manifests\": [ {\"digest\": \"sha256:\n"));
    exportFails(1, "oci:" + layout + ":v1", layout.toString(), "index.json", "invalid JSON");
    Path archive = in.resolve("oci.tar");
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("oci-layout", Files.readAllBytes(layout.resolve("oci-layout")));
    files.put("index.json", utf8("not json at all"));
    TestImage.writeTar(archive, files);
    exportFails(1, "oci-archive:" + archive, archive.toString(), "index.json", "invalid JSON");
  }

  @Test
  void layerWithUnknownMediaType() throws IOException {
    TestImage img = simpleImage();
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    String type = "application/vnd.example.layer.v1.tar+rar";
    rewriteManifest(layout, m -> ((ObjectNode) m.get("layers").get(1)).put("mediaType", type));
    exportFails(1, "oci:" + layout + ":v1", layout.toString(), "layer 2", type);
  }

  @Test
  void manifestWithMoreLayersThanDiffIds() throws IOException {
    TestImage img = simpleImage();
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    rewriteManifest(
        layout,
        m -> {
          ArrayNode layers = (ArrayNode) m.get("layers");
          layers.add(layers.get(1).deepCopy());
        });
    exportFails(1, "oci:" + layout + ":v1", layout.toString(), "3 layers", "2 diff_ids");

    List<String> names = new ArrayList<>(layerNames(img));
    names.add(names.get(1));
    Path f = in.resolve("docker-extra-layer.tar");
    TestImage.writeTar(f, dockerFiles(img, img.configBytes(), names));
    exportFails(1, "docker-archive:" + f, f.toString(), "3 layers", "2 diff_ids");
  }

  // ---------------------------------------------------------------- paths

  @Test
  void nonexistentInput() throws IOException {
    Path missing = in.resolve("no-such-image.tar");
    exportFails(1, missing.toString(), missing.toString(), "no such file");
    exportFails(1, "docker-archive:" + missing, missing.toString(), "no such file");
    exportFails(1, "oci-archive:" + missing, missing.toString(), "no such file");
    exportFails(1, "oci:" + in.resolve("no-such-dir"), "no-such-dir", "no such file");
  }

  @Test
  void outputIntoNonexistentDirectory() throws IOException {
    TestImage img = simpleImage();
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    Path missingDir = outDir.resolve("missing");
    Path target = missingDir.resolve("rootfs.tar");
    CliRun run = CliRun.export(List.of(), "oci:" + layout + ":v1", target.toString());
    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(1, run.errLines().size(), run::toString);
    String line = run.errLines().get(0);
    assertTrue(line.startsWith(PREFIX), line);
    assertTrue(line.contains(missingDir.toString()), line);
    assertFalse(Files.exists(missingDir), "the directory must not be created");
    assertNothingLeftBehind();
  }

  @Test
  void existingOutputIsPreservedWhenExportFails() throws IOException {
    TestImage img = bigBottomImage(Compression.GZIP);
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    Path blob = blobPath(layout, img.blob(0));
    byte[] b = Files.readAllBytes(blob);
    b[4] ^= 0x55;
    Files.write(blob, b);
    byte[] precious = utf8("an earlier export that must survive a failed one\n");
    Files.write(out, precious);
    CliRun run = CliRun.export(List.of(), "oci:" + layout + ":v1", out.toString());
    assertEquals(1, run.exitCode(), run::toString);
    assertEquals(1, run.errLines().size(), run::toString);
    assertArrayEquals(precious, Files.readAllBytes(out), "the existing file must be untouched");
    try (Stream<Path> s = Files.list(outDir)) {
      assertEquals(List.of(out), s.toList(), "no temporary file may be left behind");
    }
  }

  // ---------------------------------------------------------------- usage

  @Test
  void missingArgumentIsBadUsage() throws IOException {
    TestImage img = simpleImage();
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    CliRun run = CliRun.isula("export", "-q", "oci:" + layout + ":v1");
    assertEquals(2, run.exitCode(), run::toString);
    assertEquals("", run.out());
    List<String> lines = run.errLines();
    assertTrue(lines.get(0).contains("OUTPUT"), run::toString);
    // the error line, then only a pointer to --help
    assertTrue(lines.size() <= 2, run::toString);
    if (lines.size() == 2) {
      assertTrue(lines.get(1).contains("--help"), run::toString);
    }
    assertFalse(run.err().contains("\tat "), run::toString);
  }

  @Test
  void badOptionValuesAreBadUsage() throws IOException {
    TestImage img = simpleImage();
    String ref = "oci:" + img.writeOciLayout(in.resolve("layout"), "v1") + ":v1";
    exportFails(2, List.of("--platform", "bogus"), ref, "bogus", "os/arch");
    exportFails(2, List.of("--compress", "rar"), ref, "rar");
    exportFails(2, List.of("--threads", "0"), ref, "--threads");
    exportFails(2, List.of("--compress", "bzip2"), ref, "bzip2");
  }

  @Test
  void debugAddsTheStackTrace() throws IOException {
    TestImage img = simpleImage();
    Path layout = img.writeOciLayout(in.resolve("layout"), "v1");
    Files.delete(blobPath(layout, img.blob(1)));
    CliRun run = CliRun.isula("export", "-q", "--debug", "oci:" + layout + ":v1", out.toString());
    assertEquals(1, run.exitCode(), run::toString);
    List<String> lines = run.errLines();
    assertTrue(lines.get(0).startsWith(PREFIX), run::toString);
    assertTrue(lines.get(0).contains("missing blob"), run::toString);
    assertTrue(lines.size() > 2, run::toString);
    assertTrue(run.err().contains("\tat dev.isula."), run::toString);
    assertNothingLeftBehind();
  }
}
