package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.golden.roundtrip.Samples.Sample;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code isula check}, both ways: what we write passes every rule of every loader, and archives
 * crafted to break exactly one of iSulad's rules fail that rule and no other (exit 1).
 */
class CheckCommandTest {
  @TempDir Path tmp;

  static final List<byte[]> TARS = Samples.byName("hello").image().tars();

  /** Lines of a check run, as rule to status. */
  static Map<String, String> statuses(Isula.Run run) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : run.out().lines().toList()) {
      String[] f = line.trim().split("\\s+", 3);
      out.put(f[1], f[0]);
    }
    return out;
  }

  static void assertAllPass(Isula.Run run) {
    assertEquals(0, run.exitCode(), run::toString);
    Map<String, String> s = statuses(run);
    assertTrue(s.size() >= 7, run::toString);
    s.forEach((rule, status) -> assertEquals("PASS", status, rule + "\n" + run));
  }

  static Stream<Arguments> ours() {
    List<Arguments> out = new ArrayList<>();
    for (Sample s : Samples.all()) {
      for (String loader : List.of("isulad", "docker", "podman")) {
        out.add(Arguments.of(s.name(), loader));
      }
    }
    return out.stream();
  }

  /** empty.tar and save's archive of every sample pass the rules of every loader. */
  @ParameterizedTest(name = "{0} for {1}")
  @MethodSource("ours")
  void whatWeWritePasses(String sampleName, String loader) throws Exception {
    Sample sample = Samples.byName(sampleName);
    String image =
        sample.name().equals("multi-platform")
            ? sample.writeOciLayout(tmp.resolve("in-layout"))
            : sample.writeDockerArchive(tmp.resolve("in.tar"));
    Path out = tmp.resolve("split");
    SplitRoundTripTest.split(sample.exportOptions(), "tar", image, out).ok();
    assertAllPass(Isula.run("check", "-q", "--for", loader, out.resolve("empty.tar").toString()));
    Isula.ok(
        "convert", "-q", image, "docker-archive:" + tmp.resolve("saved.tar") + ":app:" + loader);
    assertAllPass(Isula.run("check", "-q", "--for", loader, tmp.resolve("saved.tar").toString()));
    // any other form is checked as save writes it
    if (!sample.name().equals("multi-platform")) {
      String layout = sample.writeOciLayout(tmp.resolve("layout"));
      assertAllPass(Isula.run("check", "-q", "--for", loader, layout));
    }
  }

  /** The default loader is isulad; the summary line names it. */
  @Test
  void defaultIsIsulad() throws Exception {
    Path in =
        Crafted.dockerArchive(
            tmp.resolve("a.tar"), Crafted.config(TARS, "2020-01-01T00:00:00Z"), TARS, "a:1");
    Isula.Run run = Isula.run("check", in.toString());
    assertAllPass(run);
    assertTrue(run.err().contains("isula load"), run::toString);
    assertTrue(statuses(run).containsKey("created"), run::toString);
  }

  record Breach(String rule, Consumer<Map<String, byte[]>> edit) {}

  private static ObjectNode manifestEntry(Map<String, byte[]> files) {
    try {
      return (ObjectNode) WrittenImage.JSON.readTree(files.get("manifest.json")).get(0);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void setManifestEntry(Map<String, byte[]> files, ObjectNode e) {
    files.put("manifest.json", Json.compact(WrittenImage.JSON.createArrayNode().add(e)));
  }

  /** Replaces the config with {@code edit(config)}, renaming it and pointing the manifest at it. */
  private static void editConfig(Map<String, byte[]> files, Consumer<ObjectNode> edit) {
    try {
      ObjectNode e = manifestEntry(files);
      String old = e.get("Config").asText();
      ObjectNode c = (ObjectNode) WrittenImage.JSON.readTree(files.remove(old));
      edit.accept(c);
      byte[] bytes = Json.compact(c);
      String name = Digest.sha256(bytes).hex() + ".json";
      files.put(name, bytes);
      e.put("Config", name);
      setManifestEntry(files, e);
    } catch (Exception ex) {
      throw new IllegalStateException(ex);
    }
  }

  /** Replaces layer {@code i}'s file by {@code blob} (same name). */
  private static void replaceLayer(Map<String, byte[]> files, int i, byte[] blob) {
    String name = manifestEntry(files).get("Layers").get(i).asText();
    files.put(name, blob);
  }

  static List<Breach> breaches() {
    return List.of(
        new Breach("manifest", f -> f.remove("manifest.json")),
        new Breach(
            "repo-tags",
            f -> {
              ObjectNode e = manifestEntry(f);
              e.putArray("RepoTags").add("Upper/Case:1");
              setManifestEntry(f, e);
            }),
        new Breach(
            "json-size",
            f ->
                editConfig(
                    f,
                    c -> c.putObject("config").putArray("Env").add("PAD=" + "x".repeat(10 << 20)))),
        new Breach("config-fields", f -> editConfig(f, c -> c.remove("architecture"))),
        new Breach(
            "created",
            f -> editConfig(f, c -> ((ObjectNode) c.get("history").get(1)).remove("created"))),
        new Breach(
            "layer-count",
            f ->
                editConfig(
                    f,
                    c ->
                        ((ArrayNode) c.get("rootfs").get("diff_ids"))
                            .add("sha256:" + "1".repeat(64)))),
        new Breach(
            "layers",
            f -> {
              ObjectNode e = manifestEntry(f);
              e.putArray("Layers");
              setManifestEntry(f, e);
              editConfig(
                  f,
                  c -> {
                    ((ObjectNode) c.get("rootfs")).putArray("diff_ids");
                    c.putArray("history");
                  });
            }),
        new Breach(
            "layer-paths",
            f -> {
              ObjectNode e = manifestEntry(f);
              ArrayNode layers = (ArrayNode) e.get("Layers");
              byte[] blob = f.remove(layers.get(1).asText());
              f.put("elsewhere/layer.tar", blob);
              layers.set(1, "../elsewhere/layer.tar");
              setManifestEntry(f, e);
            }),
        new Breach(
            "layer-compression",
            f -> {
              try {
                replaceLayer(f, 1, PlainImportTest.compress(TARS.get(1), "tar.zst"));
              } catch (Exception ex) {
                throw new IllegalStateException(ex);
              }
            }),
        new Breach(
            "diff-ids",
            f ->
                replaceLayer(
                    f, 0, "not the layer the config names".getBytes(StandardCharsets.UTF_8))));
  }

  static Stream<Arguments> breachCases() {
    return breaches().stream().map(b -> Arguments.of(b.rule()));
  }

  /** An archive breaking one rule of iSulad's loader fails exactly that rule, exit 1. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("breachCases")
  void eachRuleCanFail(String rule) throws Exception {
    Breach b = breaches().stream().filter(x -> x.rule().equals(rule)).findFirst().orElseThrow();
    Map<String, byte[]> files =
        Crafted.files(Crafted.config(TARS, "2020-01-01T00:00:00Z"), TARS, List.of("ok:1"));
    // a gzip layer is fine for iSulad
    files.put(
        manifestEntry(files).get("Layers").get(0).asText(),
        PlainImportTest.compress(TARS.get(0), "tar.gz"));
    assertAllPass(Isula.run("check", Crafted.write(tmp.resolve("good.tar"), files).toString()));
    b.edit().accept(files);
    Path bad = Crafted.write(tmp.resolve("bad.tar"), files);
    Isula.Run run = Isula.run("check", "--for", "isulad", bad.toString());
    assertEquals(1, run.exitCode(), run::toString);
    Map<String, String> s = statuses(run);
    assertEquals("FAIL", s.get(rule), run::toString);
    s.forEach(
        (r, status) -> {
          if (!r.equals(rule)) {
            assertTrue(!status.equals("FAIL"), "only " + rule + " fails:\n" + run);
          }
        });
  }

  /** Where the loaders differ: zstd layers, untagged names, missing dates. */
  @Test
  void loadersDiffer() throws Exception {
    Map<String, byte[]> zstd =
        Crafted.files(Crafted.config(TARS, "2020-01-01T00:00:00Z"), TARS, List.of("z:1"));
    zstd.put(
        manifestEntry(zstd).get("Layers").get(0).asText(),
        PlainImportTest.compress(TARS.get(0), "tar.zst"));
    Map<String, byte[]> xz =
        Crafted.files(Crafted.config(TARS, "2020-01-01T00:00:00Z"), TARS, List.of("x:1"));
    xz.put(
        manifestEntry(xz).get("Layers").get(0).asText(),
        PlainImportTest.compress(TARS.get(0), "tar.xz"));
    Path untagged =
        Crafted.dockerArchive(
            tmp.resolve("untagged.tar"), Crafted.config(TARS, "2020-01-01T00:00:00Z"), TARS, "u");
    Path undated =
        Crafted.dockerArchive(tmp.resolve("undated.tar"), Crafted.config(TARS, null), TARS, "d:1");
    Path z = Crafted.write(tmp.resolve("zstd.tar"), zstd);
    Path x = Crafted.write(tmp.resolve("xz.tar"), xz);
    record Expect(Path archive, String loader, String failing) {}
    List<Expect> cases =
        List.of(
            new Expect(z, "isulad", "layer-compression"),
            new Expect(z, "docker", null),
            new Expect(z, "podman", null),
            new Expect(x, "isulad", "layer-compression"),
            new Expect(x, "docker", null),
            new Expect(x, "podman", null),
            new Expect(untagged, "isulad", null),
            new Expect(untagged, "docker", "repo-tags"),
            new Expect(untagged, "podman", "repo-tags"),
            new Expect(undated, "isulad", "created"),
            new Expect(undated, "docker", null),
            new Expect(undated, "podman", null));
    for (Expect e : cases) {
      Isula.Run run = Isula.run("check", "-q", "--for", e.loader(), e.archive().toString());
      if (e.failing() == null) {
        assertAllPass(run);
      } else {
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("FAIL", statuses(run).get(e.failing()), run::toString);
      }
    }
  }

  /**
   * zstd and xz layers written to a docker-archive are stored as plain tar (what isula load needs),
   * said on one line; the result passes iSulad's rules.
   */
  @Test
  void compressedLayersBecomePlainInADockerArchive() throws Exception {
    for (Compression c : List.of(Compression.ZSTD, Compression.XZ)) {
      // an OCI layout (zstd has a media type there) or a docker-archive holding the xz layer
      String source;
      if (c == Compression.ZSTD) {
        TestImage img =
            TestImage.image().layer(TARS.get(0), c).layer(TARS.get(1), Compression.GZIP);
        source = "oci:" + img.writeOciLayout(tmp.resolve("layout-" + c.id()), "v1") + ":v1";
      } else {
        source =
            "docker-archive:"
                + Crafted.dockerArchive(
                    tmp.resolve("in-xz.tar"),
                    Crafted.config(TARS, "2020-01-01T00:00:00Z"),
                    List.of(
                        PlainImportTest.compress(TARS.get(0), "tar.xz"),
                        PlainImportTest.compress(TARS.get(1), "tar.gz")),
                    "xz:1");
      }
      Path out = tmp.resolve("out-" + c.id() + ".tar");
      Isula.Run run = Isula.run("convert", source, "docker-archive:" + out + ":c:1");
      assertEquals(0, run.exitCode(), run::toString);
      List<String> notes = run.errLines().stream().filter(l -> l.startsWith("note:")).toList();
      assertEquals(
          List.of(
              "note: 1 "
                  + c.id()
                  + " layer(s) stored as plain tar in "
                  + out
                  + ": a docker-archive keeps its layers uncompressed, so isula load (which reads"
                  + " only plain or gzip layers) and docker load accept it"),
          notes,
          run::toString);
      for (WrittenImage.Layer l : WrittenImage.readDockerArchive(out).layers()) {
        assertEquals("none", WrittenImage.compressionOf(l.blob()));
      }
      assertAllPass(Isula.run("check", "-q", out.toString()));
      Isula.Run quiet = Isula.run("convert", "-q", source, "docker-archive:" + out + "q:c:1");
      assertEquals("", quiet.err(), "a note, not a warning: -q silences it");
    }
  }

  @Test
  void badUsageExitsTwo() throws Exception {
    Path in =
        Crafted.dockerArchive(
            tmp.resolve("a.tar"), Crafted.config(TARS, "2020-01-01T00:00:00Z"), TARS, "a:1");
    for (String[] args :
        List.of(
            new String[] {"check"},
            new String[] {"check", "--for", "lxc", in.toString()},
            new String[] {"check", in.toString(), in.toString()},
            new String[] {"check", "--bogus", in.toString()})) {
      Isula.Run run = Isula.run(args);
      assertEquals(2, run.exitCode(), run::toString);
      assertEquals("", run.out(), run::toString);
    }
    Isula.Run missing = Isula.run("check", tmp.resolve("nothing.tar").toString());
    assertEquals(1, missing.exitCode(), missing::toString);
    assertEquals(1, missing.errLines().size(), missing::toString);
  }
}
