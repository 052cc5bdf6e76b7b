package dev.isula.format.dockerarchive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.spi.LoaderRules;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rule of every loader's profile proven both ways, on the rule sets themselves: a well-formed
 * archive passes each rule of each loader, and for each rule an archive crafted to break it fails
 * that rule and no other, for the loaders that have it; loaders without the rule pass the same
 * archive. The one rule that cannot fail is docker's and podman's layer-compression (they read
 * every encoding there is).
 */
class ArchiveRulesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, LoaderRules> LOADERS = new LinkedHashMap<>();

  static {
    for (LoaderRules r :
        List.<LoaderRules>of(new IsuladLoadRules(), new DockerLoadRules(), new PodmanLoadRules())) {
      LOADERS.put(r.loader(), r);
    }
  }

  private static final List<String> ISULAD_RULES =
      List.of(
          "manifest",
          "repo-tags",
          "json-size",
          "config-fields",
          "created",
          "layer-count",
          "layers",
          "layer-paths",
          "layer-compression",
          "diff-ids");
  private static final List<String> OTHER_RULES =
      List.of(
          "manifest",
          "repo-tags",
          "config-fields",
          "layer-count",
          "layer-paths",
          "layer-compression",
          "diff-ids");

  @TempDir Path tmp;

  private static final byte[] TAR0 =
      TarBuilder.tar().dir("etc").file("etc/hostname", "rules\n").build();
  private static final byte[] TAR1 = TarBuilder.tar().dir("srv").file("srv/a", "a\n").build();

  static byte[] compress(byte[] data, Compression c) {
    ByteArrayOutputStream bo = new ByteArrayOutputStream();
    // the toolkit reads bzip2 but never writes it
    try (OutputStream o =
        c == Compression.BZIP2 ? new BZip2CompressorOutputStream(bo) : c.compress(bo, -1, 1)) {
      o.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bo.toByteArray();
  }

  /** A good archive: a gzip layer and a plain one, every field and date iSulad wants. */
  static Map<String, byte[]> good() {
    ObjectNode c = JSON.createObjectNode();
    c.put("architecture", "amd64").put("os", "linux").put("created", "2020-01-01T00:00:00Z");
    c.putObject("config").putArray("Env").add("PATH=/bin");
    ObjectNode rootfs = c.putObject("rootfs").put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    ArrayNode history = c.putArray("history");
    List<byte[]> blobs = List.of(compress(TAR0, Compression.GZIP), TAR1);
    Map<String, byte[]> files = new TreeMap<>();
    ObjectNode e = JSON.createObjectNode();
    ArrayNode layers = e.putArray("Layers");
    for (int i = 0; i < 2; i++) {
      byte[] tar = i == 0 ? TAR0 : TAR1;
      ids.add(Digest.sha256(tar).toString());
      history.addObject().put("created", "2020-01-01T00:00:0" + i + "Z");
      String name = "layer" + i + "/layer.tar";
      files.put(name, blobs.get(i));
      layers.add(name);
    }
    setConfig(files, e, c);
    e.putArray("RepoTags").add("ok:1");
    setManifest(files, e);
    return files;
  }

  private static ObjectNode entry(Map<String, byte[]> files) {
    try {
      return (ObjectNode) JSON.readTree(files.get("manifest.json")).get(0);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  private static void setManifest(Map<String, byte[]> files, ObjectNode e) {
    files.put("manifest.json", bytes(JSON.createArrayNode().add(e)));
  }

  private static void setConfig(Map<String, byte[]> files, ObjectNode e, ObjectNode c) {
    byte[] b = bytes(c);
    String name = Digest.sha256(b).hex() + ".json";
    files.put(name, b);
    e.put("Config", name);
  }

  private static byte[] bytes(Object node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  private static void editConfig(Map<String, byte[]> files, Consumer<ObjectNode> edit) {
    ObjectNode e = entry(files);
    try {
      ObjectNode c = (ObjectNode) JSON.readTree(files.remove(e.get("Config").asText()));
      edit.accept(c);
      setConfig(files, e, c);
      setManifest(files, e);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  private static void editEntry(Map<String, byte[]> files, Consumer<ObjectNode> edit) {
    ObjectNode e = entry(files);
    edit.accept(e);
    setManifest(files, e);
  }

  private static void replaceLayer(Map<String, byte[]> files, int i, byte[] blob) {
    files.put(entry(files).get("Layers").get(i).asText(), blob);
  }

  /**
   * One way to break an archive.
   *
   * @param failing loader id to the one rule it must fail; loaders not named pass every rule
   */
  record Breach(String name, Consumer<Map<String, byte[]>> edit, Map<String, String> failing) {}

  private static Map<String, String> all(String rule) {
    return Map.of("isulad", rule, "docker", rule, "podman", rule);
  }

  static List<Breach> breaches() {
    return List.of(
        new Breach("no manifest.json", f -> f.remove("manifest.json"), all("manifest")),
        new Breach(
            "manifest entry without Config",
            f -> editEntry(f, e -> e.remove("Config")),
            all("manifest")),
        new Breach(
            "manifest Layers not names",
            f -> editEntry(f, e -> ((ArrayNode) e.get("Layers")).add(7)),
            all("manifest")),
        new Breach(
            "RepoTags name not valid",
            f -> editEntry(f, e -> e.putArray("RepoTags").add("Upper/Case:1")),
            all("repo-tags")),
        new Breach(
            "RepoTags not an array",
            f -> editEntry(f, e -> e.put("RepoTags", "ok:1")),
            all("repo-tags")),
        new Breach(
            "RepoTags name without a tag",
            f -> editEntry(f, e -> e.putArray("RepoTags").add("untagged")),
            Map.of("docker", "repo-tags", "podman", "repo-tags")),
        new Breach(
            "RepoTags name by digest",
            f -> editEntry(f, e -> e.putArray("RepoTags").add("app@sha256:" + "a".repeat(64))),
            Map.of("docker", "repo-tags", "podman", "repo-tags")),
        new Breach(
            "config over 10 MiB",
            f ->
                editConfig(
                    f,
                    c ->
                        ((ObjectNode) c.get("config"))
                            .putArray("Labels")
                            .add("x".repeat(10 << 20))),
            Map.of("isulad", "json-size")),
        new Breach(
            "config without architecture",
            f -> editConfig(f, c -> c.remove("architecture")),
            Map.of("isulad", "config-fields")),
        new Breach(
            "config without rootfs.type",
            f -> editConfig(f, c -> ((ObjectNode) c.get("rootfs")).remove("type")),
            Map.of("isulad", "config-fields")),
        new Breach(
            "config without rootfs.diff_ids",
            f -> editConfig(f, c -> ((ObjectNode) c.get("rootfs")).remove("diff_ids")),
            all("config-fields")),
        new Breach(
            "config for windows",
            f -> editConfig(f, c -> c.put("os", "windows")),
            Map.of("docker", "config-fields")),
        new Breach(
            "config created missing",
            f -> editConfig(f, c -> c.remove("created")),
            Map.of("isulad", "created")),
        new Breach(
            "history created after 2038",
            f ->
                editConfig(
                    f,
                    c ->
                        ((ObjectNode) c.get("history").get(1))
                            .put("created", "2040-01-01T00:00:00Z")),
            Map.of("isulad", "created")),
        new Breach(
            "created with 10 fraction digits",
            f -> editConfig(f, c -> c.put("created", "2020-01-01T00:00:00.0123456789Z")),
            Map.of("isulad", "created")),
        new Breach(
            "more diff_ids than Layers",
            f ->
                editConfig(
                    f,
                    c ->
                        ((ArrayNode) c.get("rootfs").get("diff_ids"))
                            .add("sha256:" + "1".repeat(64))),
            all("layer-count")),
        new Breach(
            "no layer at all",
            f -> {
              for (int i = 0; i < 2; i++) {
                f.remove(entry(f).get("Layers").get(i).asText());
              }
              editEntry(f, e -> e.putArray("Layers"));
              editConfig(
                  f,
                  c -> {
                    ((ObjectNode) c.get("rootfs")).putArray("diff_ids");
                    c.putArray("history");
                  });
            },
            Map.of("isulad", "layers")),
        new Breach(
            "layer outside the archive",
            f ->
                editEntry(
                    f,
                    e -> {
                      byte[] blob = f.remove(e.get("Layers").get(1).asText());
                      f.put("elsewhere/layer.tar", blob);
                      ((ArrayNode) e.get("Layers")).set(1, "../elsewhere/layer.tar");
                    }),
            all("layer-paths")),
        new Breach(
            "layer file missing",
            f -> f.remove(entry(f).get("Layers").get(1).asText()),
            all("layer-paths")),
        new Breach(
            "zstd layer",
            f -> replaceLayer(f, 1, compress(TAR1, Compression.ZSTD)),
            Map.of("isulad", "layer-compression")),
        new Breach(
            "xz layer",
            f -> replaceLayer(f, 1, compress(TAR1, Compression.XZ)),
            Map.of("isulad", "layer-compression")),
        new Breach(
            "bzip2 layer",
            f -> replaceLayer(f, 0, compress(TAR0, Compression.BZIP2)),
            Map.of("isulad", "layer-compression")),
        new Breach(
            "layer not matching its DiffID",
            f -> replaceLayer(f, 0, "not the layer".getBytes(StandardCharsets.UTF_8)),
            all("diff-ids")),
        new Breach(
            "gzip layer not matching its DiffID",
            f -> replaceLayer(f, 0, compress(TAR1, Compression.GZIP)),
            all("diff-ids")));
  }

  private Map<String, LoaderRules.Status> run(String loader, Map<String, byte[]> files, String n)
      throws Exception {
    Path archive = tmp.resolve(n.replaceAll("[^a-z0-9]+", "-") + "-" + loader + ".tar");
    TestImage.writeTar(archive, files);
    Map<String, LoaderRules.Status> s = new LinkedHashMap<>();
    for (LoaderRules.Result r :
        LOADERS.get(loader).check(archive.toString(), ReadOptions.defaults())) {
      s.put(r.rule(), r.status());
    }
    return s;
  }

  @Test
  void aGoodArchivePassesEveryRuleOfEveryLoader() throws Exception {
    for (String loader : LOADERS.keySet()) {
      Map<String, LoaderRules.Status> s = run(loader, good(), "good");
      List<String> expected = loader.equals("isulad") ? ISULAD_RULES : OTHER_RULES;
      assertEquals(expected, new ArrayList<>(s.keySet()), loader + ": the rules, in order");
      s.forEach(
          (rule, status) -> assertEquals(LoaderRules.Status.PASS, status, loader + " " + rule));
    }
  }

  static Stream<Arguments> cases() {
    return breaches().stream().map(b -> Arguments.of(b.name()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void aBrokenRuleFailsThatRuleOnly(String name) throws Exception {
    Breach b = breaches().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    Map<String, byte[]> files = good();
    b.edit().accept(files);
    for (String loader : LOADERS.keySet()) {
      Map<String, LoaderRules.Status> s = run(loader, files, name);
      String rule = b.failing().get(loader);
      List<String> failed =
          s.entrySet().stream()
              .filter(x -> x.getValue() == LoaderRules.Status.FAIL)
              .map(Map.Entry::getKey)
              .toList();
      assertEquals(rule == null ? List.of() : List.of(rule), failed, loader + ": " + s);
    }
  }

  /** Each rule of each loader is broken by some case above (but the one that cannot fail). */
  @Test
  void everyRuleHasABreach() {
    Map<String, Set<String>> broken = new TreeMap<>();
    for (Breach b : breaches()) {
      b.failing().forEach((l, r) -> broken.computeIfAbsent(l, k -> new TreeSet<>()).add(r));
    }
    assertEquals(new TreeSet<>(ISULAD_RULES), broken.get("isulad"));
    Set<String> others = new TreeSet<>(OTHER_RULES);
    others.remove("layer-compression"); // docker 20.10.24 and podman read every encoding
    assertEquals(others, broken.get("docker"));
    assertEquals(others, broken.get("podman"));
    for (LoaderRules r : LOADERS.values()) {
      assertTrue(!r.description().isBlank(), r.loader());
    }
  }
}
