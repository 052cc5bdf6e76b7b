package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.golden.roundtrip.WrittenImage.Target;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.testing.TarBuilder;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code isula import ROOTFS [REFERENCE] -o TARGET}: a one-layer image with a fresh config, from a
 * tarball in every compression, a directory or standard input; {@code --platform}, {@code -m},
 * every {@code -c} instruction, {@code --compress}, and the digests of what is written.
 */
class PlainImportTest {
  static final String EPOCH = "1700000000";
  static final String EPOCH_TIME = "2023-11-14T22:13:20Z";

  @TempDir Path tmp;

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void add(TarBuilder t, TarEntry.Builder b, byte[] content) {
    t.entry(b.size(content.length).build(), content);
  }

  /** A small rootfs: directories, files, a hardlink, a symlink, owners and special modes. */
  static byte[] rootfsTar() {
    TarBuilder t = TarBuilder.tar();
    t.dir("bin");
    t.file("bin/app", bytes("#!/bin/sh\necho app\n"), 0755);
    t.hardlink("bin/app-again", "bin/app");
    t.dir("etc");
    t.file("etc/hostname", "imported\n");
    t.symlink("etc/localtime", "/usr/share/zoneinfo/UTC");
    t.dir("tmp", 01777);
    t.entry(
        TarBuilder.base("home/")
            .type(EntryType.DIRECTORY)
            .mode(0750)
            .uid(1000)
            .gid(1000)
            .uname("user")
            .gname("user")
            .build(),
        new byte[0]);
    add(
        t,
        TarBuilder.base("home/notes").mode(0600).uid(1000).gid(1000).mtime(1_650_000_000L, 5),
        bytes("notes\n"));
    t.file("usr/bin/passwd", bytes("setuid\n"), 04755);
    return t.build();
  }

  static byte[] compress(byte[] tar, String ext) throws Exception {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    OutputStream o =
        switch (ext) {
          case "tar" -> bo;
          case "tar.gz" -> Compression.GZIP.compress(bo, -1, 1);
          case "tar.zst" -> Compression.ZSTD.compress(bo, -1, 1);
          case "tar.xz" -> Compression.XZ.compress(bo, -1, 1);
          case "tar.bz2" -> new BZip2CompressorOutputStream(bo);
          default -> throw new IllegalArgumentException(ext);
        };
    try (o) {
      o.write(tar);
    }
    return bo.toByteArray();
  }

  /** Checks the parts of a fresh config that do not depend on the input. */
  static void checkFreshConfig(
      ObjectNode config, String arch, String variant, String message, String created) {
    assertEquals("linux", config.path("os").asText(), config::toString);
    assertEquals(arch, config.path("architecture").asText(), config::toString);
    if (variant == null) {
      assertFalse(config.has("variant"), config::toString);
    } else {
      assertEquals(variant, config.path("variant").asText(), config::toString);
    }
    String c = config.path("created").asText();
    assertTrue(c.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"), "RFC 3339 created: " + c);
    if (created != null) {
      assertEquals(created, c);
    }
    JsonNode history = config.get("history");
    assertEquals(1, history.size(), "one history entry: " + history);
    JsonNode h = history.get(0);
    assertEquals(c, h.path("created").asText(), "the history entry is as old as the image");
    assertEquals("isula-toolkit import", h.path("created_by").asText());
    assertFalse(h.path("empty_layer").asBoolean(false));
    if (message == null) {
      assertFalse(h.has("comment"), h::toString);
    } else {
      assertEquals(message, h.path("comment").asText(), h::toString);
    }
    assertEquals(1, config.path("rootfs").path("diff_ids").size());
  }

  // ---------------------------------------------------------------- inputs

  @ParameterizedTest
  @ValueSource(strings = {"tar", "tar.gz", "tar.zst", "tar.xz", "tar.bz2"})
  void tarballInEveryCompression(String ext) throws Exception {
    byte[] tar = rootfsTar();
    Path input = tmp.resolve("rootfs." + ext);
    Files.write(input, compress(tar, ext));
    String ref = Target.OCI.ref(tmp, "img");
    Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Isula.Run run =
        Isula.ok(
            "import",
            "-q",
            "--platform",
            "linux/arm64/v8",
            "-m",
            "from a " + ext,
            input.toString(),
            "-o",
            ref);
    Instant after = Instant.now();
    WrittenImage w = Target.OCI.read(tmp, "img");
    assertEquals(w.imageId() + "\n", run.out(), "the image id on stdout");
    assertEquals("", run.err());
    checkFreshConfig(w.config(), "arm64", "v8", "from a " + ext, null);
    if (System.getenv("SOURCE_DATE_EPOCH") == null) {
      Instant created = Instant.parse(w.config().path("created").asText());
      assertFalse(created.isBefore(before) || created.isAfter(after), "created is now: " + created);
    }
    assertEquals(1, w.layers().size());
    assertArrayEquals(tar, w.layers().get(0).tar(), "the layer is the input tar, byte for byte");
    assertEquals(
        "application/vnd.oci.image.layer.v1.tar+gzip",
        w.layers().get(0).mediaType(),
        "gzip is the default");
    assertEquals(
        Json.prettySorted(WrittenImage.JSON.createObjectNode()),
        Json.prettySorted(w.config().path("config")),
        "no run config without -c");

    Path again = tmp.resolve("again.tar");
    Isula.ok("export", "-q", ref, again.toString());
    // export writes the parents the tarball left out (usr, usr/bin) as 0755 root:root
    java.util.TreeMap<String, String> expected = Trees.tarSnapshot(tar);
    expected.put("usr", "d 0755 0:0");
    expected.put("usr/bin", "d 0755 0:0");
    assertEquals(expected, Trees.tarSnapshot(Files.readAllBytes(again)));
  }

  /** Every target: the written manifest and config describe the written blobs. */
  @ParameterizedTest
  @EnumSource(Target.class)
  void everyTargetDescribesItsBlobs(Target target) throws Exception {
    byte[] tar = rootfsTar();
    Path input = tmp.resolve("rootfs.tar.gz");
    Files.write(input, compress(tar, "tar.gz"));
    Isula.Run run =
        Isula.ok("import", "-q", input.toString(), "isula-rt/plain:2", "-o", target.ref(tmp, "i"));
    WrittenImage w = target.read(tmp, "i"); // checks digests, sizes and DiffIDs
    assertEquals(w.imageId() + "\n", run.out());
    assertArrayEquals(tar, w.layers().get(0).tar());
    checkFreshConfig(w.config(), "amd64", null, null, null);
    if (target == Target.DOCKER_ARCHIVE) {
      assertEquals("none", WrittenImage.compressionOf(w.layers().get(0).blob()), "plain layer.tar");
      // the name given as REFERENCE, when the target has none
      assertEquals("isula-rt/plain:2", w.dockerManifest().get(0).get("RepoTags").get(0).asText());
    }
  }

  @Test
  void referenceNamesTheImageInAnOciLayout() throws Exception {
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, rootfsTar());
    Path layout = tmp.resolve("layout");
    Isula.ok("import", "-q", input.toString(), "isula-rt/plain:3", "-o", "oci:" + layout);
    JsonNode index = WrittenImage.JSON.readTree(layout.resolve("index.json").toFile());
    assertEquals(
        "isula-rt/plain:3",
        index
            .get("manifests")
            .get(0)
            .path("annotations")
            .path("org.opencontainers.image.ref.name")
            .asText());
    WrittenImage.readOciLayout(layout, "isula-rt/plain:3");
  }

  @Test
  void directory() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("rootfs"));
    Files.createDirectories(dir.resolve("etc"));
    Files.writeString(dir.resolve("etc/hostname"), "from a directory\n");
    Files.createDirectories(dir.resolve("bin"));
    Files.write(dir.resolve("bin/tool"), bytes("#!/bin/sh\n"));
    Files.setAttribute(dir.resolve("bin/tool"), "unix:mode", 04755);
    Files.setPosixFilePermissions(dir.resolve("etc"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.createLink(dir.resolve("bin/tool-link"), dir.resolve("bin/tool"));
    Files.createSymbolicLink(dir.resolve("bin/sh"), Path.of("tool"));
    Files.createDirectories(dir.resolve("var/empty"));
    Files.setLastModifiedTime(
        dir.resolve("etc/hostname"), FileTime.from(Instant.parse("2021-02-03T04:05:06.789Z")));
    if (Peers.isRoot()) {
      Files.setAttribute(dir.resolve("etc/hostname"), "unix:uid", 1234, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(dir.resolve("etc/hostname"), "unix:gid", 5678, LinkOption.NOFOLLOW_LINKS);
    }
    String ref = Target.OCI_ARCHIVE.ref(tmp, "d");
    Isula.Run run = Isula.ok("import", "-q", "-m", "a directory", dir.toString(), "-o", ref);
    WrittenImage w = Target.OCI_ARCHIVE.read(tmp, "d");
    assertEquals(w.imageId() + "\n", run.out());
    checkFreshConfig(w.config(), "amd64", null, "a directory", null);
    byte[] layer = w.layers().get(0).tar();
    assertEquals(Trees.snapshotBelowRoot(dir), Trees.tarSnapshot(layer));
    List<String> names = Trees.names(layer);
    assertTrue(names.indexOf("bin/tool") < names.indexOf("bin/tool-link"), names::toString);
    String listing = Trees.canonicalListing(layer);
    assertTrue(listing.contains(" 1612325106.789 "), "mtimes with fractions are kept: " + listing);
    assertTrue(listing.contains("hardlinked: bin/tool bin/tool-link"), listing);

    // walking the same directory again gives the same layer
    Isula.ok("import", "-q", dir.toString(), "-o", Target.OCI.ref(tmp, "d2"));
    assertArrayEquals(layer, Target.OCI.read(tmp, "d2").layers().get(0).tar());

    Path again = tmp.resolve("again.tar");
    Isula.ok("export", "-q", ref, again.toString());
    assertEquals(Trees.snapshotBelowRoot(dir), Trees.tarSnapshot(Files.readAllBytes(again)));
  }

  /** Standard input, in a child process with SOURCE_DATE_EPOCH: a reproducible image. */
  @Test
  void standardInputWithSourceDateEpoch() throws Exception {
    byte[] tar = rootfsTar();
    Path gz = tmp.resolve("rootfs.tar.gz");
    Files.write(gz, compress(tar, "tar.gz"));
    Map<String, String> env = Map.of("SOURCE_DATE_EPOCH", EPOCH);
    Isula.Run run =
        Isula.subprocess(
            tmp, env, gz, "import", "-q", "-m", "piped", "-", "-o", "oci:stdin-layout:rt");
    assertEquals(0, run.exitCode(), run::toString);
    WrittenImage w = WrittenImage.readOciLayout(tmp.resolve("stdin-layout"), "rt");
    assertEquals(w.imageId() + "\n", run.out(), run::toString);
    checkFreshConfig(w.config(), "amd64", null, "piped", EPOCH_TIME);
    assertArrayEquals(tar, w.layers().get(0).tar());

    // the same input from a file, at the same SOURCE_DATE_EPOCH: the same image
    Isula.Run file =
        Isula.subprocess(
            tmp,
            env,
            null,
            "import",
            "-q",
            "-m",
            "piped",
            gz.toString(),
            "-o",
            "oci:file-layout:rt");
    assertEquals(0, file.exitCode(), file::toString);
    assertEquals(run.out(), file.out(), "same input, same time: same image id");
    WrittenImage f = WrittenImage.readOciLayout(tmp.resolve("file-layout"), "rt");
    assertArrayEquals(w.layers().get(0).blob(), f.layers().get(0).blob(), "same layer blob");

    // another SOURCE_DATE_EPOCH: another image
    Isula.Run later =
        Isula.subprocess(
            tmp,
            Map.of("SOURCE_DATE_EPOCH", "1700000001"),
            gz,
            "import",
            "-q",
            "-m",
            "piped",
            "-",
            "-o",
            "oci:later-layout:rt");
    assertEquals(0, later.exitCode(), later::toString);
    assertNotEquals(run.out(), later.out());
  }

  /** import --rootfs under SOURCE_DATE_EPOCH: the added history entry has that time. */
  @Test
  void rootfsImportHistoryUsesSourceDateEpoch() throws Exception {
    String image = Samples.byName("hello").writeDockerArchive(tmp.resolve("hello.tar"));
    SplitRoundTripTest.split(List.of(), "tar", image, tmp.resolve("split")).ok();
    Map<String, String> env = Map.of("SOURCE_DATE_EPOCH", EPOCH);
    List<String> ids = new ArrayList<>();
    for (String name : List.of("a", "b")) {
      Isula.Run run =
          Isula.subprocess(
              tmp,
              env,
              null,
              "import",
              "-q",
              "--rootfs",
              "split/rootfs.tar",
              "split/empty.tar",
              "-o",
              "docker-archive:" + name + ".tar");
      assertEquals(0, run.exitCode(), run::toString);
      ids.add(run.out());
      WrittenImage w = WrittenImage.readDockerArchive(tmp.resolve(name + ".tar"));
      JsonNode last = w.config().get("history").get(w.config().get("history").size() - 1);
      assertEquals(EPOCH_TIME, last.path("created").asText(), last::toString);
      assertEquals(
          "2020-09-13T12:26:40Z", w.config().path("created").asText(), "image created kept");
    }
    assertEquals(ids.get(0), ids.get(1), "reproducible with SOURCE_DATE_EPOCH");
  }

  // ---------------------------------------------------------------- --change

  private ObjectNode importWithChanges(List<String> changes, String target) throws Exception {
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, rootfsTar());
    List<String> args = new ArrayList<>(List.of("import", "-q"));
    for (String c : changes) {
      args.add("-c");
      args.add(c);
    }
    args.addAll(List.of(input.toString(), "-o", Target.OCI.ref(tmp, target)));
    Isula.ok(args.toArray(String[]::new));
    return Target.OCI.read(tmp, target).config();
  }

  @Test
  void everyChangeInstruction() throws Exception {
    ObjectNode config =
        importWithChanges(
            List.of(
                "CMD echo hi",
                "ENTRYPOINT [\"/app\"]",
                "ENV A=1 B=\"two words\"",
                "ENV LEGACY value with spaces",
                "ENV P=$A:x",
                "EXPOSE 80 53/udp 8000-8002",
                "LABEL a=b \"c d\"=e",
                "STOPSIGNAL SIGTERM",
                "USER 1000:1000",
                "VOLUME [\"/data\"]",
                "VOLUME /a /b",
                "WORKDIR /app",
                "WORKDIR sub"),
            "all");
    String expected =
        """
        {
          "Cmd": ["/bin/sh", "-c", "echo hi"],
          "Entrypoint": ["/app"],
          "Env": ["A=1", "B=two words", "LEGACY=value with spaces", "P=1:x"],
          "ExposedPorts": {"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {},
                           "8002/tcp": {}},
          "Labels": {"a": "b", "c d": "e"},
          "StopSignal": "SIGTERM",
          "User": "1000:1000",
          "Volumes": {"/data": {}, "/a": {}, "/b": {}},
          "WorkingDir": "/app/sub"
        }
        """;
    assertEquals(
        Json.prettySorted(WrittenImage.JSON.readTree(expected)),
        Json.prettySorted(config.get("config")));
    assertEquals(
        List.of("A=1", "B=two words", "LEGACY=value with spaces", "P=1:x"),
        WrittenImage.JSON.convertValue(config.get("config").get("Env"), List.class),
        "Env keeps the order of the instructions");
  }

  @Test
  void shellFormsQuotesAndSubstitution() throws Exception {
    ObjectNode config =
        importWithChanges(
            List.of(
                "ENTRYPOINT /app --flag \"quoted arg\"",
                "ENV HOME=/home/u",
                "ENV Q='single $HOME' D=\"double $HOME\" E=${HOME}/x F=${UNSET:-fallback}",
                "ENV HOME=/root",
                "LABEL version=\"1.0\" description='a \"quoted\" label'",
                "WORKDIR /srv/",
                "WORKDIR ../opt/./app"),
            "shell");
    JsonNode c = config.get("config");
    assertEquals(
        List.of("/bin/sh", "-c", "/app --flag \"quoted arg\""),
        WrittenImage.JSON.convertValue(c.get("Entrypoint"), List.class));
    assertFalse(c.has("Cmd"), "no Cmd: " + c);
    assertEquals(
        List.of("HOME=/root", "Q=single $HOME", "D=double /home/u", "E=/home/u/x", "F=fallback"),
        WrittenImage.JSON.convertValue(c.get("Env"), List.class),
        "ENV of an existing key replaces it in place");
    assertEquals("1.0", c.path("Labels").path("version").asText());
    assertEquals("a \"quoted\" label", c.path("Labels").path("description").asText());
    assertEquals("/opt/app", c.path("WorkingDir").asText());
  }

  /** Changes on top of a restored config: inherited Env, Cmd dropped by a new ENTRYPOINT. */
  @Test
  void changesApplyToTheRestoredConfig() throws Exception {
    String image = Samples.byName("hello").writeDockerArchive(tmp.resolve("hello.tar"));
    Path split = tmp.resolve("split");
    SplitRoundTripTest.split(List.of(), "tar", image, split).ok();
    List<String> common =
        List.of(
            "import",
            "-q",
            "-m",
            "restored with changes",
            "--rootfs",
            split.resolve("rootfs.tar").toString(),
            split.resolve("empty.tar").toString());
    List<String> a = new ArrayList<>(common);
    a.addAll(
        List.of(
            "-c",
            "ENTRYPOINT [\"/bin/sh\"]",
            "-c",
            "ENV PATH=$PATH:/opt/bin",
            "-o",
            Target.OCI.ref(tmp, "a")));
    Isula.ok(a.toArray(String[]::new));
    ObjectNode ca = Target.OCI.read(tmp, "a").config();
    assertEquals(
        List.of("/bin/sh"),
        WrittenImage.JSON.convertValue(ca.path("config").get("Entrypoint"), List.class));
    assertFalse(
        ca.path("config").has("Cmd"),
        "a new ENTRYPOINT drops the inherited CMD: " + ca.get("config"));
    assertEquals(
        List.of("PATH=/bin:/usr/bin:/opt/bin"),
        WrittenImage.JSON.convertValue(ca.path("config").get("Env"), List.class));
    JsonNode history = ca.get("history");
    JsonNode layerEntry = null;
    for (JsonNode h : history) {
      if (!h.path("empty_layer").asBoolean(false)) {
        layerEntry = h;
      }
    }
    assertEquals("restored with changes", layerEntry.path("comment").asText(), history::toString);
    assertEquals("isula-toolkit import --rootfs", layerEntry.path("created_by").asText());

    List<String> b = new ArrayList<>(common);
    b.addAll(
        List.of(
            "-c",
            "CMD [\"--help\"]",
            "-c",
            "ENTRYPOINT [\"/bin/hello\"]",
            "-o",
            Target.OCI.ref(tmp, "b")));
    Isula.ok(b.toArray(String[]::new));
    JsonNode cb = Target.OCI.read(tmp, "b").config().get("config");
    assertEquals(List.of("--help"), WrittenImage.JSON.convertValue(cb.get("Cmd"), List.class));
    assertEquals(
        List.of("/bin/hello"), WrittenImage.JSON.convertValue(cb.get("Entrypoint"), List.class));
  }

  static Stream<Arguments> badChanges() {
    return Stream.of(
        Arguments.of("RUN x", "RUN"),
        Arguments.of("FROM x", "FROM"),
        Arguments.of("run apt-get update", "RUN"),
        Arguments.of("ADD a /b", "ADD"),
        Arguments.of("COPY a /b", "COPY"),
        Arguments.of("HEALTHCHECK NONE", "HEALTHCHECK"),
        Arguments.of("ONBUILD RUN x", "ONBUILD"),
        Arguments.of("CMD [\"unterminated\"", "CMD"),
        Arguments.of("EXPOSE 70000", "70000"),
        Arguments.of("EXPOSE 80/icmp", "icmp"),
        Arguments.of("USER a b", "USER"),
        Arguments.of("LABEL novalue", "LABEL"),
        Arguments.of("ENV", "ENV"),
        Arguments.of("ENV \"unterminated=x", "quote"));
  }

  @ParameterizedTest(name = "-c ''{0}''")
  @MethodSource("badChanges")
  void unsupportedOrMalformedChangesAreUsageErrors(String change, String mentioned)
      throws Exception {
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, rootfsTar());
    for (Target target : Target.values()) {
      Isula.Run run =
          Isula.run("import", "-q", "-c", change, input.toString(), "-o", target.ref(tmp, "bad"));
      assertEquals(2, run.exitCode(), run::toString);
      assertEquals(1, run.errLines().size(), "one line: " + run);
      assertTrue(run.err().contains(mentioned), "the message names '" + mentioned + "': " + run);
      assertEquals("", run.out());
      assertFalse(Files.exists(target.path(tmp, "bad")), "nothing written: " + run);
    }
  }

  @Test
  void runAndFromSayTheyAreNotSupported() throws Exception {
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, rootfsTar());
    for (String change : List.of("RUN x", "FROM x")) {
      Isula.Run run =
          Isula.run(
              "import", "-q", "-c", change, input.toString(), "-o", Target.OCI.ref(tmp, "bad"));
      assertEquals(2, run.exitCode(), run::toString);
      String line = run.errLines().get(0);
      assertTrue(line.contains("not supported"), line);
      assertTrue(line.contains(change), "quotes the change: " + line);
      assertTrue(line.contains("CMD") && line.contains("WORKDIR"), "lists what is: " + line);
    }
  }

  // ---------------------------------------------------------------- --compress

  static Stream<Arguments> compressions() {
    List<Arguments> out = new ArrayList<>();
    for (String c : List.of("gzip", "zstd", "none")) {
      for (Target t : List.of(Target.OCI, Target.OCI_ARCHIVE)) {
        out.add(Arguments.of(c, t));
      }
    }
    return out.stream();
  }

  /** A rootfs of a few MiB (many gzip blocks), partly random, partly compressible. */
  static byte[] biggerRootfsTar() {
    Random r = new Random(42);
    TarBuilder t = TarBuilder.tar();
    t.dir("data");
    for (int i = 0; i < 6; i++) {
      byte[] b = new byte[700_000 + i * 1000];
      if (i % 2 == 0) {
        r.nextBytes(b);
      } else {
        for (int k = 0; k < b.length; k++) {
          b[k] = (byte) ("isula " + (k / 100)).charAt(k % 6);
        }
      }
      t.file("data/blob-" + i, b, 0644);
    }
    return t.build();
  }

  @ParameterizedTest(name = "--compress {0} -> {1}")
  @MethodSource("compressions")
  void compressionGivesTheRightMediaType(String compress, Target target) throws Exception {
    byte[] tar = biggerRootfsTar();
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, tar);
    Isula.ok(
        "import",
        "-q",
        "--threads",
        "4",
        "--compress",
        compress,
        input.toString(),
        "-o",
        target.ref(tmp, "c"));
    WrittenImage w = target.read(tmp, "c");
    WrittenImage.Layer layer = w.layers().get(0);
    String expected =
        switch (compress) {
          case "gzip" -> "application/vnd.oci.image.layer.v1.tar+gzip";
          case "zstd" -> "application/vnd.oci.image.layer.v1.tar+zstd";
          default -> "application/vnd.oci.image.layer.v1.tar";
        };
    assertEquals(expected, layer.mediaType());
    assertEquals(compress, WrittenImage.compressionOf(layer.blob()), "the bytes match the type");
    assertArrayEquals(tar, layer.tar());
    if (!compress.equals("none")) {
      assertTrue(layer.blob().length < tar.length / 1.5, "compressed: " + layer.blob().length);
      Path blob = tmp.resolve("layer-blob");
      Files.write(blob, layer.blob());
      String tool = compress.equals("gzip") ? "gzip" : "zstd";
      Peers.require(tool);
      Peers.run(tmp, Map.of(), tool, "-t", blob.toString()); // an independent decoder's check
      Peers.Result cat =
          Peers.run(tmp, Map.of(), "sh", "-c", tool + " -dc < layer-blob | sha256sum");
      assertEquals(WrittenImage.sha256(tar), cat.out().split(" ")[0]);
    }
  }

  @Test
  void dockerArchiveStoresPlainLayersWhateverTheCompression() throws Exception {
    Path input = tmp.resolve("rootfs.tar");
    byte[] tar = rootfsTar();
    Files.write(input, tar);
    for (String c : List.of("gzip", "zstd", "none")) {
      Isula.ok(
          "import",
          "-q",
          "--compress",
          c,
          input.toString(),
          "-o",
          Target.DOCKER_ARCHIVE.ref(tmp, c));
      WrittenImage w = Target.DOCKER_ARCHIVE.read(tmp, c);
      assertArrayEquals(tar, w.layers().get(0).blob(), "--compress " + c);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"xz", "bzip2", "lz4"})
  void unsupportedLayerCompressionIsAUsageError(String compress) throws Exception {
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, rootfsTar());
    Isula.Run run =
        Isula.run(
            "import",
            "-q",
            "--compress",
            compress,
            input.toString(),
            "-o",
            Target.OCI.ref(tmp, "x"));
    assertEquals(2, run.exitCode(), run::toString);
    assertFalse(Files.exists(Target.OCI.path(tmp, "x")));
  }

  @Test
  void namesFromTheTargetOrTheReference() throws Exception {
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, rootfsTar());
    Isula.ok(
        "import",
        "-q",
        input.toString(),
        "ignored/by-target:1",
        "-o",
        "docker-archive:" + tmp.resolve("a.tar") + ":example.com/team/app:2");
    assertEquals(
        "example.com/team/app:2",
        WrittenImage.readDockerArchive(tmp.resolve("a.tar"))
            .dockerManifest()
            .get(0)
            .get("RepoTags")
            .get(0)
            .asText(),
        "the target's name wins over REFERENCE");
    Isula.ok(
        "import",
        "-q",
        input.toString(),
        "isula-rt/untagged",
        "-o",
        "docker-archive:" + tmp.resolve("b.tar"));
    assertEquals(
        "isula-rt/untagged:latest",
        WrittenImage.readDockerArchive(tmp.resolve("b.tar"))
            .dockerManifest()
            .get(0)
            .get("RepoTags")
            .get(0)
            .asText());
    Isula.ok("import", "-q", input.toString(), "-o", "docker-archive:" + tmp.resolve("c.tar"));
    assertEquals(
        0,
        WrittenImage.readDockerArchive(tmp.resolve("c.tar"))
            .dockerManifest()
            .get(0)
            .get("RepoTags")
            .size(),
        "no name at all");
  }

  /**
   * Without -q, stdout still holds nothing but the image id (for scripts); progress is on stderr.
   */
  @Test
  void stdoutIsOnlyTheImageId() throws Exception {
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, rootfsTar());
    Isula.Run run = Isula.ok("import", input.toString(), "-o", Target.OCI.ref(tmp, "i"));
    assertEquals(Target.OCI.read(tmp, "i").imageId() + "\n", run.out());
    assertTrue(run.err().contains("imported"), run::toString);
  }

  /** The gzip layer does not depend on the number of threads that compressed it. */
  @Test
  void layerBytesDoNotDependOnThreads() throws Exception {
    Path input = tmp.resolve("rootfs.tar");
    Files.write(input, biggerRootfsTar());
    List<String> digests = new ArrayList<>();
    for (String threads : List.of("1", "2", "5")) {
      Isula.ok(
          "import",
          "-q",
          "--threads",
          threads,
          input.toString(),
          "-o",
          Target.OCI.ref(tmp, "t" + threads));
      digests.add(WrittenImage.sha256(Target.OCI.read(tmp, "t" + threads).layers().get(0).blob()));
    }
    assertEquals(1, digests.stream().distinct().count(), digests::toString);
  }
}
