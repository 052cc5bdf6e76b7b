package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.golden.roundtrip.Samples.Sample;
import dev.isula.golden.roundtrip.WrittenImage.Target;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.tar.TarListing;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.approvaltests.Approvals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code export --split} followed by {@code import --rootfs}, for every sample image, both rootfs
 * formats and every import target: the rebuilt image must hold the same root filesystem and the
 * original config (apart from {@code rootfs} and {@code history}), with the original history kept
 * and one entry added for its single layer.
 */
class SplitRoundTripTest {
  static final String EMPTY_LAYER_DIFF_ID = "sha256:" + WrittenImage.sha256(new byte[1024]);

  @TempDir Path tmp;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String sample : Samples.names()) {
      for (String format : List.of("dir", "tar")) {
        for (Target target : Target.values()) {
          out.add(Arguments.of(sample, format, target));
        }
      }
    }
    return out.stream();
  }

  /** {@code isula export -q [OPTIONS] IMAGE OUT}, returning the bytes written. */
  private byte[] export(List<String> options, String image, Path out) throws Exception {
    List<String> args = new ArrayList<>(List.of("export", "-q"));
    args.addAll(options);
    args.add(image);
    args.add(out.toString());
    Isula.Run run = Isula.run(args).ok();
    assertEquals("", run.err(), "-q prints nothing on success");
    return Files.readAllBytes(out);
  }

  /** {@code isula export -q --split [--rootfs-format F] [OPTIONS] IMAGE OUTDIR}. */
  static Isula.Run split(List<String> options, String format, String image, Path outDir) {
    List<String> args = new ArrayList<>(List.of("export", "-q", "--split"));
    if (format != null) {
      args.add("--rootfs-format");
      args.add(format);
    }
    args.addAll(options);
    args.add(image);
    args.add(outDir.toString());
    return Isula.run(args);
  }

  static ObjectNode parse(byte[] json) throws Exception {
    return (ObjectNode) WrittenImage.JSON.readTree(json);
  }

  /** A copy of {@code config} without the keys a split and an import rewrite. */
  static ObjectNode withoutRootfsAndHistory(ObjectNode config) {
    ObjectNode c = config.deepCopy();
    c.remove("rootfs");
    c.remove("history");
    return c;
  }

  /** {@code h} with {@code empty_layer: true} added, as the split marks original entries. */
  static ObjectNode markedEmpty(JsonNode h) {
    ObjectNode c = ((ObjectNode) h).deepCopy();
    c.put("empty_layer", true);
    return c;
  }

  /**
   * The sample as a docker-archive, which names the image (so the name's way through empty.tar can
   * be checked); the multi-platform sample as its OCI layout, which holds the whole index.
   */
  private String input(Sample sample) {
    return sample.name().equals("multi-platform")
        ? sample.writeOciLayout(tmp.resolve("in-layout"))
        : sample.writeDockerArchive(tmp.resolve("in-docker.tar"));
  }

  @ParameterizedTest(name = "{0} --rootfs-format {1} -> {2}")
  @MethodSource("cases")
  void splitThenImportRebuildsTheImage(String sampleName, String format, Target target)
      throws Exception {
    Sample sample = Samples.byName(sampleName);
    String image = input(sample);
    byte[] plain = export(sample.exportOptions(), image, tmp.resolve("plain.tar"));
    ObjectNode original = parse(sample.image().configBytes());

    Path out = tmp.resolve("split");
    Isula.Run run = split(sample.exportOptions(), format, image, out).ok();
    assertEquals("", run.err(), "-q prints nothing on success");
    String rootfsName = format.equals("dir") ? "rootfs" : "rootfs.tar";
    try (Stream<Path> s = Files.list(out)) {
      assertEquals(
          new TreeSet<>(List.of("empty.tar", rootfsName)),
          new TreeSet<>(s.map(p -> p.getFileName().toString()).toList()),
          "OUTDIR holds empty.tar and the rootfs, nothing else (no partial files)");
    }
    Path rootfs = out.resolve(rootfsName);
    byte[] rootfsTar = null;
    if (format.equals("tar")) {
      rootfsTar = Files.readAllBytes(rootfs);
      assertArrayEquals(plain, rootfsTar, "rootfs.tar must be what a plain export writes");
    } else {
      assertTrue(Files.isDirectory(rootfs));
    }

    checkEmptyImage(out.resolve("empty.tar"), original, sample, format, rootfsTar);

    String ref = target.ref(tmp, "restored");
    Isula.Run imported =
        Isula.ok(
            "import",
            "-q",
            "--rootfs",
            rootfs.toString(),
            out.resolve("empty.tar").toString(),
            "-o",
            ref);
    assertEquals("", imported.err());
    WrittenImage written = target.read(tmp, "restored");
    assertEquals(written.imageId() + "\n", imported.out(), "import prints the image id");
    assertEquals(1, written.layers().size(), "the rebuilt image has one layer");

    // the rootfs comes back
    byte[] again = export(List.of(), ref, tmp.resolve("again.tar"));
    if (format.equals("tar")) {
      assertArrayEquals(rootfsTar, again, "re-export must give rootfs.tar byte for byte");
      assertArrayEquals(rootfsTar, written.layers().get(0).tar(), "the layer is rootfs.tar");
    } else {
      // the directory walker records numeric owners only (no uname/gname), orders entries by
      // name, and may pick another name of a hardlinked inode as the file: compare the listings
      // sorted by name without uname/gname, hardlinks resolved (see Trees.canonicalListing)
      assertEquals(
          Trees.canonicalListing(plain),
          Trees.canonicalListing(again),
          "re-export of the rootfs directory must describe the same filesystem");
    }

    // the config comes back, apart from rootfs and history
    ObjectNode restored = written.config();
    assertEquals(
        Json.prettySorted(withoutRootfsAndHistory(original)),
        Json.prettySorted(withoutRootfsAndHistory(restored)),
        "the config must be the original's except rootfs and history");
    assertEquals(
        "sha256:" + WrittenImage.sha256(written.layers().get(0).tar()),
        restored.path("rootfs").path("diff_ids").get(0).asText());
    JsonNode record =
        WrittenImage.JSON.readTree(
            WrittenImage.tarFiles(Files.readAllBytes(out.resolve("empty.tar")))
                .get("isula-split.json"));
    assertEquals(
        record.path("rootfs").path("diffId").asText(),
        restored.path("rootfs").path("diff_ids").get(0).asText(),
        "the layer is the tar the split recorded");
    assertEquals(
        record.path("rootfs").path("tarSize").asLong(), written.layers().get(0).tar().length);
    checkRestoredHistory(original, restored);

    // the image is named as the original was, where the target has no name of its own
    if (target == Target.DOCKER_ARCHIVE && image.startsWith("docker-archive:")) {
      assertEquals(
          WrittenImage.JSON.createArrayNode().add(sample.repoTag()),
          written.dockerManifest().get(0).get("RepoTags"),
          "a docker-archive target without a name keeps the split image's name");
    }
  }

  /** history: the original entries (now empty_layer), in order, and exactly one layer entry. */
  static void checkRestoredHistory(ObjectNode original, ObjectNode restored) {
    ArrayNode history = (ArrayNode) restored.get("history");
    List<JsonNode> nonEmpty = new ArrayList<>();
    List<JsonNode> rest = new ArrayList<>();
    for (JsonNode h : history) {
      if (h.path("empty_layer").asBoolean(false)) {
        rest.add(h);
      } else {
        nonEmpty.add(h);
      }
    }
    assertEquals(1, nonEmpty.size(), "exactly one history entry makes a layer: " + history);
    assertEquals(
        "isula-toolkit import --rootfs",
        nonEmpty.get(0).path("created_by").asText(),
        "the layer's history entry: " + nonEmpty.get(0));
    assertTrue(
        nonEmpty
            .get(0)
            .path("created")
            .asText()
            .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"),
        "created is an RFC 3339 time: " + nonEmpty.get(0));
    List<JsonNode> expected = new ArrayList<>();
    original.get("history").forEach(h -> expected.add(markedEmpty(h)));
    assertEquals(expected, rest, "the original history entries, in order, marked empty_layer");
    assertEquals(original.get("history").size() + 1, history.size(), "one entry added: " + history);
  }

  /** empty.tar: a docker-archive of the original config with one empty layer and a record. */
  static void checkEmptyImage(
      Path emptyTar, ObjectNode original, Sample sample, String format, byte[] rootfsTar)
      throws Exception {
    WrittenImage empty = WrittenImage.readDockerArchive(emptyTar);
    assertEquals(1, empty.layers().size(), "empty.tar holds exactly one layer");
    assertArrayEquals(new byte[1024], empty.layers().get(0).blob(), "one empty 1024-byte layer");
    ObjectNode config = empty.config();
    assertEquals(
        Json.prettySorted(withoutRootfsAndHistory(original)),
        Json.prettySorted(withoutRootfsAndHistory(config)),
        "empty.tar keeps the whole original config but rootfs and history");
    assertEquals(EMPTY_LAYER_DIFF_ID, config.path("rootfs").path("diff_ids").get(0).asText());
    ArrayNode history = (ArrayNode) config.get("history");
    JsonNode originalHistory = original.get("history");
    assertEquals(originalHistory.size() + 1, history.size(), "one history entry added");
    for (int i = 0; i < originalHistory.size(); i++) {
      assertEquals(markedEmpty(originalHistory.get(i)), history.get(i), "history entry " + i);
    }
    JsonNode added = history.get(history.size() - 1);
    assertFalse(added.path("empty_layer").asBoolean(false), "the added entry makes the layer");
    assertEquals("isula-toolkit export --split", added.path("created_by").asText());
    if (!sample.name().equals("multi-platform")) { // read from a docker-archive: named
      assertEquals(
          List.of(sample.repoTag()),
          WrittenImage.JSON.convertValue(empty.dockerManifest().get(0).get("RepoTags"), List.class),
          "empty.tar keeps the image's name");
    }

    Map<String, byte[]> files = WrittenImage.tarFiles(Files.readAllBytes(emptyTar));
    byte[] recordBytes = files.get("isula-split.json");
    assertTrue(recordBytes != null, "empty.tar holds isula-split.json: " + files.keySet());
    JsonNode record = WrittenImage.JSON.readTree(recordBytes);
    assertEquals(format, record.path("rootfs").path("format").asText());
    assertEquals(
        format.equals("dir") ? "rootfs" : "rootfs.tar",
        record.path("rootfs").path("path").asText());
    if (rootfsTar != null) {
      assertEquals(
          "sha256:" + WrittenImage.sha256(rootfsTar),
          record.path("rootfs").path("diffId").asText(),
          "the record names the rootfs tar's digest");
      assertEquals(rootfsTar.length, record.path("rootfs").path("tarSize").asLong());
    }
    TestImage img = sample.image();
    assertEquals(
        "sha256:" + WrittenImage.sha256(img.configBytes()),
        record.path("source").path("configDigest").asText());
    List<String> diffIds = new ArrayList<>();
    for (byte[] t : img.tars()) {
      diffIds.add("sha256:" + WrittenImage.sha256(t));
    }
    assertEquals(
        diffIds, WrittenImage.JSON.convertValue(record.path("source").path("diffIds"), List.class));
  }

  /** The multi-platform sample split for linux/arm64 rebuilds the arm64 image. */
  @Test
  void multiPlatformSplitOfArm64() throws Exception {
    Sample sample = Samples.byName("multi-platform");
    String image = sample.writeOciLayout(tmp.resolve("in-layout"));
    List<String> arm = List.of("--platform", "linux/arm64/v8");
    byte[] plain = export(arm, image, tmp.resolve("plain.tar"));
    Path out = tmp.resolve("split");
    split(arm, "tar", image, out).ok();
    assertArrayEquals(plain, Files.readAllBytes(out.resolve("rootfs.tar")));
    String ref = Target.OCI.ref(tmp, "arm");
    Isula.ok(
        "import",
        "-q",
        "--rootfs",
        out.resolve("rootfs.tar").toString(),
        out.resolve("empty.tar").toString(),
        "-o",
        ref);
    ObjectNode armConfig = parse(Samples.platformImage("arm64", "v8", "aarch64").configBytes());
    WrittenImage written = Target.OCI.read(tmp, "arm");
    assertEquals(
        Json.prettySorted(withoutRootfsAndHistory(armConfig)),
        Json.prettySorted(withoutRootfsAndHistory(written.config())));
    assertEquals("arm64", written.config().path("architecture").asText());
    assertEquals("v8", written.config().path("variant").asText());
    checkRestoredHistory(armConfig, written.config());
    assertArrayEquals(plain, export(List.of(), ref, tmp.resolve("again.tar")));
    String listing = TarListing.of(new ByteArrayInputStream(plain));
    assertTrue(listing.contains("etc/platform"), listing);
  }

  /**
   * Approves empty.tar of the hello sample: its listing, manifest, config and isula-split.json. Run
   * as a child process in the sample's directory with relative paths (the record names the image,
   * never the path it was read from: IsuladSplitTest checks that from two paths). The rootfs is
   * written as a tar: its digest (in the record) is then the flattened export's, whereas a
   * directory's depends on whether the split ran as root (owners) and on the filesystem's extended
   * attributes.
   */
  @Test
  void emptyImageOfHelloIsApproved() throws Exception {
    Sample sample = Samples.byName("hello");
    Path work = Files.createDirectories(tmp.resolve("work"));
    sample.writeDockerArchive(work.resolve("hello.tar"));
    Isula.Run run =
        Isula.subprocess(
            work,
            Map.of(),
            null,
            "export",
            "-q",
            "--split",
            "--rootfs-format",
            "tar",
            "hello.tar",
            "out");
    assertEquals(0, run.exitCode(), run::toString);
    assertEquals("", run.err(), run::toString);
    byte[] emptyTar = Files.readAllBytes(work.resolve("out/empty.tar"));
    Map<String, byte[]> files = WrittenImage.tarFiles(emptyTar);
    WrittenImage empty = WrittenImage.readDockerArchive(work.resolve("out/empty.tar"));
    StringBuilder text = new StringBuilder();
    text.append("== empty.tar\n").append(TarListing.of(new ByteArrayInputStream(emptyTar)));
    text.append("\n== manifest.json\n")
        .append(Json.prettySorted(WrittenImage.JSON.readTree(files.get("manifest.json"))));
    text.append("\n== config\n").append(Json.prettySorted(empty.config()));
    text.append("\n== isula-split.json\n")
        .append(Json.prettySorted(WrittenImage.JSON.readTree(files.get("isula-split.json"))));
    Approvals.verify(text.toString());
  }

  // ---------------------------------------------------------------- more ways in and out

  /** The rootfs.tar may be given compressed, or on standard input; the check still passes. */
  @Test
  void rootfsMayBeCompressedOrComeFromStandardInput() throws Exception {
    Sample sample = Samples.byName("whiteouts");
    String image = sample.writeDockerArchive(tmp.resolve("in.tar"));
    Path out = tmp.resolve("split");
    split(List.of(), "tar", image, out).ok();
    byte[] rootfsTar = Files.readAllBytes(out.resolve("rootfs.tar"));
    for (String ext : List.of("tar.gz", "tar.zst", "tar.xz")) {
      Path compressed = tmp.resolve("rootfs." + ext);
      Files.write(compressed, PlainImportTest.compress(rootfsTar, ext));
      String ref = Target.OCI.ref(tmp, ext.replace('.', '-'));
      Isula.ok(
          "import",
          "-q",
          "--rootfs",
          compressed.toString(),
          out.resolve("empty.tar").toString(),
          "-o",
          ref);
      assertArrayEquals(
          rootfsTar, Target.OCI.read(tmp, ext.replace('.', '-')).layers().get(0).tar(), ext);
    }
    Isula.Run run =
        Isula.subprocess(
            tmp,
            Map.of(),
            out.resolve("rootfs.tar"),
            "import",
            "-q",
            "--rootfs",
            "-",
            "split/empty.tar",
            "-o",
            "docker-archive:from-stdin.tar");
    assertEquals(0, run.exitCode(), run::toString);
    WrittenImage w = WrittenImage.readDockerArchive(tmp.resolve("from-stdin.tar"));
    assertEquals(w.imageId() + "\n", run.out());
    assertArrayEquals(rootfsTar, w.layers().get(0).tar());
  }

  /** import --rootfs writes its layer in the compression asked for. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"gzip", "zstd", "none"})
  void rootfsImportHonoursCompress(String compress) throws Exception {
    String image = Samples.byName("hello").writeDockerArchive(tmp.resolve("in.tar"));
    Path out = tmp.resolve("split");
    split(List.of(), null, image, out).ok();
    for (Target t : List.of(Target.OCI, Target.OCI_ARCHIVE)) {
      Isula.ok(
          "import",
          "-q",
          "--compress",
          compress,
          "--rootfs",
          out.resolve("rootfs").toString(),
          out.resolve("empty.tar").toString(),
          "-o",
          t.ref(tmp, "c"));
      WrittenImage.Layer layer = t.read(tmp, "c").layers().get(0);
      assertEquals(compress, WrittenImage.compressionOf(layer.blob()), t.label);
      assertEquals(
          "application/vnd.oci.image.layer.v1.tar"
              + (compress.equals("none") ? "" : "+" + compress),
          layer.mediaType(),
          t.label);
    }
  }

  /** export --split needs a new or empty OUTDIR and refuses options that make no sense. */
  @Test
  void splitUsageErrors() throws Exception {
    String image = Samples.byName("hello").writeDockerArchive(tmp.resolve("in.tar"));
    Path full = Files.createDirectories(tmp.resolve("full"));
    Files.writeString(full.resolve("keep.txt"), "mine\n");
    Path file = tmp.resolve("a-file");
    Files.writeString(file, "not a directory\n");
    String fullBefore = Trees.checksum(full);
    List<List<String>> cases =
        List.of(
            List.of("export", "-q", "--split", image, full.toString()),
            List.of("export", "-q", "--split", image, file.toString()),
            List.of(
                "export",
                "-q",
                "--split",
                "--rootfs-format",
                "zip",
                image,
                tmp.resolve("n1").toString()),
            List.of(
                "export", "-q", "--rootfs-format", "dir", image, tmp.resolve("n2.tar").toString()),
            List.of(
                "export",
                "-q",
                "--split",
                "--compress",
                "gzip",
                image,
                tmp.resolve("n3").toString()),
            List.of("export", "-q", "--split", image, "-"));
    for (List<String> args : cases) {
      Isula.Run run = Isula.run(args);
      assertEquals(2, run.exitCode(), run::toString);
      assertEquals(1, run.errLines().size(), run::toString);
    }
    assertEquals(fullBefore, Trees.checksum(full), "a non-empty OUTDIR is left alone");
    assertEquals("not a directory\n", Files.readString(file));
    for (String n : List.of("n1", "n2.tar", "n3")) {
      assertFalse(Files.exists(tmp.resolve(n)), n);
    }
  }

  /** Splitting twice gives the same bytes; so does splitting the restored image again. */
  @Test
  void splitIsDeterministicAndStableUnderARoundTrip() throws Exception {
    String image = Samples.byName("hardlinks").writeDockerArchive(tmp.resolve("in.tar"));
    split(List.of(), "tar", image, tmp.resolve("a")).ok();
    split(List.of("--threads", "1"), "tar", image, tmp.resolve("b")).ok();
    for (String f : List.of("empty.tar", "rootfs.tar")) {
      assertArrayEquals(
          Files.readAllBytes(tmp.resolve("a").resolve(f)),
          Files.readAllBytes(tmp.resolve("b").resolve(f)),
          f);
    }
    Path a = tmp.resolve("a");
    String restored = Target.DOCKER_ARCHIVE.ref(tmp, "restored");
    Isula.ok(
        "import",
        "-q",
        "--rootfs",
        a.resolve("rootfs.tar").toString(),
        a.resolve("empty.tar").toString(),
        "-o",
        restored);
    split(List.of(), "tar", restored, tmp.resolve("c")).ok();
    assertArrayEquals(
        Files.readAllBytes(a.resolve("rootfs.tar")),
        Files.readAllBytes(tmp.resolve("c").resolve("rootfs.tar")),
        "the restored image splits into the same rootfs");
    // its empty.tar keeps the (now restored) config; the second split adds one more entry
    WrittenImage second = WrittenImage.readDockerArchive(tmp.resolve("c").resolve("empty.tar"));
    WrittenImage first = WrittenImage.readDockerArchive(a.resolve("empty.tar"));
    assertEquals(withoutRootfsAndHistory(first.config()), withoutRootfsAndHistory(second.config()));
    assertEquals(first.config().get("history").size() + 1, second.config().get("history").size());
  }
}
