package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.golden.roundtrip.Samples.Sample;
import dev.isula.golden.roundtrip.WrittenImage.Target;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real tools accept what {@code export --split} and {@code import} write: podman loads empty.tar
 * and imported archives and keeps their run config, skopeo reads empty.tar's config and single
 * layer, oci-image-tool validates our layouts, and umoci unpacks an imported image into exactly the
 * directory it was imported from.
 */
@Tag("peers")
class ImportPeersTest {
  /** The run config of the "rich" image: every field podman must keep. */
  static final List<String> CHANGES =
      List.of(
          "ENTRYPOINT [\"/bin/app\"]",
          "CMD [\"--serve\"]",
          "ENV A=1 B=\"two words\"",
          "WORKDIR /srv/app",
          "LABEL org.example.k=v \"with space\"=x",
          "USER 1000:1000",
          "EXPOSE 8080 53/udp",
          "STOPSIGNAL SIGINT",
          "VOLUME /data");

  static final List<String> CONFIG_KEYS =
      List.of(
          "Env",
          "Cmd",
          "Entrypoint",
          "WorkingDir",
          "Labels",
          "User",
          "ExposedPorts",
          "StopSignal",
          "Volumes");

  @TempDir Path tmp;

  /** A one-layer image with a full run config, as docker-archive src.tar (isula-rt/rich:1). */
  private Path richImage() throws Exception {
    Path rootfs = tmp.resolve("rootfs.tar");
    Files.write(rootfs, PlainImportTest.rootfsTar());
    List<String> args = new ArrayList<>(List.of("import", "-q"));
    for (String c : CHANGES) {
      args.add("-c");
      args.add(c);
    }
    Path src = tmp.resolve("src.tar");
    args.addAll(List.of(rootfs.toString(), "isula-rt/rich:1", "-o", "docker-archive:" + src));
    Isula.ok(args.toArray(String[]::new));
    return src;
  }

  private Path split(Path image, String format) {
    Path out = tmp.resolve("split");
    SplitRoundTripTest.split(List.of(), format, "docker-archive:" + image, out).ok();
    return out;
  }

  private static String importRootfs(Path out, String rootfs, String target, String... extra) {
    List<String> args = new ArrayList<>(List.of("import", "-q"));
    args.addAll(List.of(extra));
    args.addAll(
        List.of(
            "--rootfs",
            out.resolve(rootfs).toString(),
            out.resolve("empty.tar").toString(),
            "-o",
            target));
    return Isula.ok(args.toArray(String[]::new)).out().strip();
  }

  /** The image name a {@code podman load} reported. */
  private static String loadedName(Peers.Result load) {
    String name = null;
    for (String line : (load.out() + "\n" + load.err()).split("\n")) {
      if (line.startsWith("Loaded image")) {
        name = line.substring(line.indexOf(':') + 1).strip();
      }
    }
    assertTrue(name != null, "podman load names what it loaded: " + load);
    return name;
  }

  @Test
  void podmanLoadsEmptyTarAndImportedArchivesKeepingTheRunConfig() throws Exception {
    Peers.require("podman");
    Path src = richImage();
    ObjectNode original = WrittenImage.readDockerArchive(src).config();
    for (String k : CONFIG_KEYS) {
      assertTrue(original.path("config").has(k), "the source image sets " + k);
    }
    Path out = split(src, "dir");
    String restored =
        importRootfs(
            out,
            "rootfs",
            "docker-archive:" + tmp.resolve("restored.tar") + ":isula-rt/restored:1");
    String restoredOci =
        importRootfs(
            out, "rootfs", "oci-archive:" + tmp.resolve("restored-oci.tar") + ":restored-oci");
    Path rootfs = tmp.resolve("rootfs.tar");
    String plain =
        Isula.ok(
                "import",
                "-q",
                rootfs.toString(),
                "isula-rt/plain:1",
                "-o",
                "docker-archive:" + tmp.resolve("plain.tar"))
            .out()
            .strip();
    String plainOci =
        Isula.ok(
                "import",
                "-q",
                rootfs.toString(),
                "-o",
                "oci-archive:" + tmp.resolve("plain-oci.tar") + ":plain-oci")
            .out()
            .strip();
    WrittenImage empty = WrittenImage.readDockerArchive(out.resolve("empty.tar"));

    record Expect(Path file, String id, boolean keepsRunConfig, String layer) {}
    List<Expect> expects =
        List.of(
            new Expect(
                out.resolve("empty.tar"),
                empty.imageId(),
                true,
                SplitRoundTripTest.EMPTY_LAYER_DIFF_ID),
            new Expect(
                tmp.resolve("restored.tar"),
                restored,
                true,
                Target.DOCKER_ARCHIVE
                    .read(tmp, "restored")
                    .config()
                    .path("rootfs")
                    .path("diff_ids")
                    .get(0)
                    .asText()),
            new Expect(tmp.resolve("restored-oci.tar"), restoredOci, true, null),
            new Expect(tmp.resolve("plain.tar"), plain, false, null),
            new Expect(tmp.resolve("plain-oci.tar"), plainOci, false, null));
    try (Peers.Podman podman = new Peers.Podman(tmp.resolve("p"))) {
      List<String> names = new ArrayList<>();
      for (Expect e : expects) {
        String name = loadedName(podman.run("load", "-i", e.file().toString()));
        names.add(name);
        JsonNode inspect =
            WrittenImage.JSON.readTree(podman.run("image", "inspect", name).out()).get(0);
        assertEquals(
            e.id(),
            "sha256:" + inspect.path("Id").asText(),
            e.file() + ": podman's image id is ours");
        JsonNode config = inspect.path("Config");
        for (String k : CONFIG_KEYS) {
          if (e.keepsRunConfig()) {
            assertEquals(
                Json.prettySorted(original.path("config").path(k)),
                Json.prettySorted(config.path(k)),
                e.file() + ": " + k + " as podman sees it");
          } else {
            assertTrue(
                config.path(k).isMissingNode() || config.path(k).isNull(), e.file() + ": " + k);
          }
        }
        JsonNode layers = inspect.path("RootFS").path("Layers");
        assertEquals(1, layers.size(), e.file() + ": one layer: " + inspect);
        if (e.layer() != null) {
          assertEquals(e.layer(), layers.get(0).asText(), e.file() + ": the layer's DiffID");
        }
        assertEquals("amd64", inspect.path("Architecture").asText());
        assertEquals("linux", inspect.path("Os").asText());
      }
      assertEquals("localhost/isula-rt/rich:1", names.get(0), "empty.tar keeps the image's name");
      String images = podman.run("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").out();
      for (String n : names) {
        assertTrue(images.contains(n), n + " in podman images:\n" + images);
      }
    }
  }

  @Test
  void skopeoSeesTheConfigAndOneLayerOfEmptyTar() throws Exception {
    Peers.require("skopeo");
    Path out = split(richImage(), "tar");
    Path emptyTar = out.resolve("empty.tar");
    WrittenImage ours = WrittenImage.readDockerArchive(emptyTar);
    JsonNode inspect =
        WrittenImage.JSON.readTree(
            Peers.run(tmp, Map.of(), "skopeo", "inspect", "docker-archive:" + emptyTar).out());
    assertEquals(
        List.of(SplitRoundTripTest.EMPTY_LAYER_DIFF_ID),
        WrittenImage.JSON.convertValue(inspect.get("Layers"), List.class),
        "exactly one, empty layer: " + inspect);
    assertEquals("v", inspect.path("Labels").path("org.example.k").asText(), inspect::toString);
    JsonNode config =
        WrittenImage.JSON.readTree(
            Peers.run(tmp, Map.of(), "skopeo", "inspect", "--config", "docker-archive:" + emptyTar)
                .out());
    assertEquals(Json.prettySorted(ours.config()), Json.prettySorted(config));

    // and the restored image, in all three forms
    for (Target t : Target.values()) {
      importRootfs(out, "rootfs.tar", t.ref(tmp, "restored"));
      String ref = t.ref(tmp, "restored");
      JsonNode i =
          WrittenImage.JSON.readTree(Peers.run(tmp, Map.of(), "skopeo", "inspect", ref).out());
      assertEquals(1, i.get("Layers").size(), t + ": " + i);
      JsonNode c =
          WrittenImage.JSON.readTree(
              Peers.run(tmp, Map.of(), "skopeo", "inspect", "--config", ref).out());
      assertEquals(
          Json.prettySorted(t.read(tmp, "restored").config()), Json.prettySorted(c), t.label);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "none"})
  void ociImageToolValidatesOurLayouts(String compress) throws Exception {
    Peers.require("oci-image-tool");
    Path src = richImage();
    Path out = split(src, "dir");
    Path layout = tmp.resolve("layout");
    importRootfs(out, "rootfs", "oci:" + layout + ":restored", "--compress", compress);
    Isula.ok(
        "import",
        "-q",
        "--compress",
        compress,
        "-c",
        "CMD [\"/bin/app\"]",
        tmp.resolve("rootfs.tar").toString(),
        "-o",
        "oci:" + layout + ":plain");
    for (String name : List.of("restored", "plain")) {
      Peers.Result r =
          Peers.run(
              tmp,
              Map.of(),
              "oci-image-tool",
              "validate",
              "--type",
              "image",
              "--ref",
              "name=" + name,
              layout.toString());
      assertTrue(r.out().contains("Validation succeeded"), r::toString);
      assertTrue(r.out().contains("reference [name=" + name + "]: OK"), r::toString);
    }
  }

  // ---------------------------------------------------------------- umoci unpack

  /** Unpacks {@code oci:layout:tag} with umoci and returns the rootfs directory. */
  private Path umociUnpack(Path layout, String tag, String bundle) throws Exception {
    Path b = tmp.resolve(bundle);
    Peers.run(tmp, Map.of(), "umoci", "unpack", "--image", layout + ":" + tag, b.toString());
    return b.resolve("rootfs");
  }

  /** Extended attributes of every path under {@code dir}, by relative path (needs getfattr). */
  private static TreeMap<String, String> xattrs(Path dir) throws Exception {
    TreeMap<String, String> out = new TreeMap<>();
    if (!Peers.has("getfattr")) {
      return out;
    }
    Peers.Result r =
        Peers.exec(dir, Map.of(), "getfattr", "-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", ".");
    String file = null;
    StringBuilder attrs = new StringBuilder();
    for (String line : (r.out() + "\n").split("\n")) {
      if (line.startsWith("# file: ")) {
        file = line.substring(8);
        attrs.setLength(0);
      } else if (line.isEmpty() && file != null) {
        out.put(file, attrs.toString());
        file = null;
      } else if (file != null) {
        attrs.append(line).append('\n');
      }
    }
    if (file != null) {
      out.put(file, attrs.toString());
    }
    return out;
  }

  private static void assertSameTree(Path expected, Path actual, String what) throws Exception {
    // type, permission bits, numeric owner, content digest, symlink target, device numbers
    assertEquals(Trees.snapshotBelowRoot(expected), Trees.snapshotBelowRoot(actual), what);
    assertEquals(xattrs(expected), xattrs(actual), what + ": extended attributes");
  }

  static Stream<String> splittableSamples() {
    // special-files cannot be split into a directory (its fifo and device nodes): see
    // SpecialFilesSplitTest; it comes through umoci below, from a directory GNU tar extracted
    return Samples.names().stream().filter(n -> !n.equals("special-files"));
  }

  /** import --rootfs of a split rootfs directory, unpacked by umoci, is that directory. */
  @ParameterizedTest
  @MethodSource("splittableSamples")
  void umociUnpacksTheRestoredImageAsTheSplitRootfs(String sampleName) throws Exception {
    Peers.require("umoci");
    Peers.requireThat(Peers.isRoot(), "umoci keeps owners only as root");
    Sample sample = Samples.byName(sampleName);
    String image =
        sampleName.equals("multi-platform")
            ? sample.writeOciLayout(tmp.resolve("in-layout"))
            : sample.writeDockerArchive(tmp.resolve("in.tar"));
    Path out = tmp.resolve("split");
    SplitRoundTripTest.split(sample.exportOptions(), "dir", image, out).ok();
    Path layout = tmp.resolve("layout");
    importRootfs(out, "rootfs", "oci:" + layout + ":restored");
    Isula.ok("import", "-q", out.resolve("rootfs").toString(), "-o", "oci:" + layout + ":plain");
    assertSameTree(out.resolve("rootfs"), umociUnpack(layout, "restored", "b1"), "import --rootfs");
    assertSameTree(out.resolve("rootfs"), umociUnpack(layout, "plain", "b2"), "plain import");
  }

  /** Modification times (with nanoseconds) of every path below {@code dir}. */
  private static TreeMap<String, String> mtimes(Path dir) throws Exception {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.toList()) {
        if (!p.equals(dir)) {
          out.put(
              dir.relativize(p).toString(),
              Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().toString());
        }
      }
    }
    return out;
  }

  /**
   * The rootfs directory {@code export --split} writes is what GNU tar extracts from the plain
   * export: same types, modes, owners, contents, links, extended attributes and mtimes.
   */
  @ParameterizedTest
  @MethodSource("splittableSamples")
  void splitRootfsDirectoryIsWhatGnuTarExtracts(String sampleName) throws Exception {
    Peers.require("tar");
    Peers.requireThat(Peers.isRoot(), "extracting owners needs root");
    Sample sample = Samples.byName(sampleName);
    String image =
        sampleName.equals("multi-platform")
            ? sample.writeOciLayout(tmp.resolve("in-layout"))
            : sample.writeDockerArchive(tmp.resolve("in.tar"));
    Path out = tmp.resolve("split");
    SplitRoundTripTest.split(sample.exportOptions(), "dir", image, out).ok();
    Path plain = tmp.resolve("plain.tar");
    List<String> args = new ArrayList<>(List.of("export", "-q"));
    args.addAll(sample.exportOptions());
    args.addAll(List.of(image, plain.toString()));
    Isula.ok(args.toArray(String[]::new));
    Path dir = Files.createDirectories(tmp.resolve("gnu"));
    Peers.run(
        tmp,
        Map.of(),
        "tar",
        "--xattrs",
        "--xattrs-include=*",
        "--numeric-owner",
        "-xpf",
        plain.toString(),
        "-C",
        dir.toString());
    assertSameTree(dir, out.resolve("rootfs"), sampleName);
    // GNU tar sets a directory's mtime when the archive moves past it, so a directory that gets
    // children later in the archive (an upper layer's files) ends up with the time of extraction;
    // compare directories with the times in the tarball instead
    TreeMap<String, String> gnu = mtimes(dir);
    TreeMap<String, String> ours = mtimes(out.resolve("rootfs"));
    TreeMap<String, String> inTar = tarMtimes(Files.readAllBytes(plain));
    for (String path : ours.keySet()) {
      if (Files.isDirectory(out.resolve("rootfs").resolve(path), LinkOption.NOFOLLOW_LINKS)) {
        assertEquals(inTar.get(path), ours.get(path), sampleName + ": mtime of directory " + path);
      } else {
        assertEquals(gnu.get(path), ours.get(path), sampleName + ": mtime of " + path);
      }
    }
    assertEquals(gnu.keySet(), ours.keySet());
  }

  /** Entry mtimes of a tarball, as instants, by normalised name (hardlinks left out). */
  private static TreeMap<String, String> tarMtimes(byte[] tar) throws Exception {
    TreeMap<String, String> out = new TreeMap<>();
    TarReader r = new TarReader(new ByteArrayInputStream(tar));
    TarEntry e;
    while ((e = r.next()) != null) {
      if (e.type() != EntryType.HARDLINK) {
        String n = e.name().endsWith("/") ? e.name().substring(0, e.name().length() - 1) : e.name();
        out.put(n, Instant.ofEpochSecond(e.mtimeSeconds(), e.mtimeNanos()).toString());
      }
    }
    return out;
  }

  /**
   * A directory extracted from a sample's rootfs by GNU tar (devices, fifo, owners, xattrs and
   * all), imported and unpacked again by umoci, is the same directory.
   */
  @ParameterizedTest
  @MethodSource("dev.isula.golden.roundtrip.Samples#names")
  void umociUnpacksAnImportedDirectoryAsThatDirectory(String sampleName) throws Exception {
    Peers.require("umoci", "tar");
    Peers.requireThat(Peers.isRoot(), "extracting owners and devices needs root");
    Sample sample = Samples.byName(sampleName);
    String image =
        sampleName.equals("multi-platform")
            ? sample.writeOciLayout(tmp.resolve("in-layout"))
            : sample.writeDockerArchive(tmp.resolve("in.tar"));
    Path plain = tmp.resolve("plain.tar");
    List<String> args = new ArrayList<>(List.of("export", "-q"));
    args.addAll(sample.exportOptions());
    args.addAll(List.of(image, plain.toString()));
    Isula.ok(args.toArray(String[]::new));
    Path dir = Files.createDirectories(tmp.resolve("dir"));
    Peers.run(
        tmp,
        Map.of(),
        "tar",
        "--xattrs",
        "--xattrs-include=*",
        "--numeric-owner",
        "-xpf",
        plain.toString(),
        "-C",
        dir.toString());
    if (sampleName.equals("special-files")) { // the comparison below covers what matters
      TreeMap<String, String> s = Trees.snapshotBelowRoot(dir);
      assertTrue(s.get("dev/sda").startsWith("b 0660 0:6 "), s::toString);
      assertTrue(s.get("run/initctl").startsWith("p 0620 0:5 "), s::toString);
      assertTrue(s.get("usr/bin/passwd").startsWith("f 4755 0:0 "), s::toString);
      assertTrue(s.get("srv/big-ids").startsWith("f 0644 3000000:4000000 "), s::toString);
      if (Peers.has("getfattr")) {
        TreeMap<String, String> x = xattrs(dir);
        assertTrue(
            x.getOrDefault("usr/bin/ping", "").contains("security.capability="),
            () -> "GNU tar kept the capability: " + x);
        assertTrue(x.getOrDefault("var/log/app.log", "").contains("user.comment="), x::toString);
      }
    }
    Path layout = tmp.resolve("layout");
    Isula.ok("import", "-q", dir.toString(), "-o", "oci:" + layout + ":t");
    assertSameTree(dir, umociUnpack(layout, "t", "bundle"), sampleName);
  }
}
