package dev.isula.golden.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.hash.DigestingOutputStream;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code kill -9} ({@link Process#destroyForcibly()}) of a child {@code isula} at several points of
 * export to a file, export --split, import (to an OCI layout and to a docker-archive), load, save
 * and rm --prune. The kill points are states of the file system the test waits for (the process
 * started; its output appeared; half of it is written), so what is tested does not depend on
 * timing; when a command finishes before its point, the run still counts and is checked.
 *
 * <p>Afterwards: every output path is either absent or complete (read back and compared with an
 * uninterrupted run); the store is readable, holds the image either complete or not at all, and
 * {@code rm --prune} removes what the killed process left (temporary blobs, index files, unused
 * blobs). Inputs are never modified. A table of op → point → result is printed at the end.
 */
class KillNineTest {
  private static final int FILES = 40;
  private static final int FILE_SIZE = 2 << 20;
  private static final long TAR_SIZE = (long) FILES * (FILE_SIZE + 512);

  @TempDir static Path shared;
  private static Path layerTar;
  private static String ociRef;
  private static Path dockerArchive;
  private static String referenceExport;
  private static TreeMap<String, String> referenceSplit;
  private static TreeMap<String, String> inputs;
  private static final Map<String, String> TABLE = new ConcurrentSkipListMap<>();
  private static final Map<Op, Integer> KILLED_DURING = new EnumMap<>(Op.class);

  enum Op {
    EXPORT_FILE,
    SPLIT_DIR,
    IMPORT_OCI,
    IMPORT_DOCKER,
    LOAD,
    SAVE,
    RM_PRUNE
  }

  enum Point {
    AT_START,
    OUTPUT_APPEARS,
    HALF_WRITTEN
  }

  static Stream<Arguments> runs() {
    List<Arguments> out = new ArrayList<>();
    for (Op op : Op.values()) {
      for (Point p : Point.values()) {
        out.add(Arguments.of(op, p));
      }
    }
    return out.stream();
  }

  // ---------------------------------------------------------------- inputs (built once)

  @BeforeAll
  static void inputs() throws Exception {
    Path in = Files.createDirectories(shared.resolve("in"));
    layerTar = in.resolve("rootfs.tar");
    Digest diffId;
    Random r = new Random(9);
    byte[] buf = new byte[FILE_SIZE];
    try (DigestingOutputStream d =
        new DigestingOutputStream(
            new BufferedOutputStream(Files.newOutputStream(layerTar), 1 << 20))) {
      TarWriter w = new TarWriter(d);
      w.write(
          TarEntry.builder().name("data").type(EntryType.DIRECTORY).mode(0755).build(),
          new byte[0]);
      for (int i = 0; i < FILES; i++) {
        r.nextBytes(buf);
        w.write(TarEntry.builder().name("data/f" + i).mode(0644).size(FILE_SIZE).build(), buf);
      }
      w.finish();
      d.flush();
      diffId = d.digest();
    }
    long size = Files.size(layerTar);
    // an OCI layout with the tar as its (uncompressed) layer
    Path layout = in.resolve("layout");
    Files.createDirectories(layout.resolve("blobs/sha256"));
    Files.copy(layerTar, layout.resolve("blobs/sha256/" + diffId.hex()));
    byte[] config = config(diffId);
    Files.write(layout.resolve("blobs/sha256/" + Digest.sha256(config).hex()), config);
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    m.put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_MANIFEST);
    m.putObject("config")
        .put("mediaType", MediaTypes.OCI_CONFIG)
        .put("digest", Digest.sha256(config).toString())
        .put("size", config.length);
    m.putArray("layers")
        .addObject()
        .put("mediaType", MediaTypes.OCI_LAYER)
        .put("digest", diffId.toString())
        .put("size", size);
    byte[] manifest = Json.compact(m);
    Files.write(layout.resolve("blobs/sha256/" + Digest.sha256(manifest).hex()), manifest);
    Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(
        layout.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"digest\":\""
            + Digest.sha256(manifest)
            + "\",\"size\":"
            + manifest.length
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}");
    ociRef = "oci:" + layout + ":v1";
    // a classic docker-archive of the same image
    dockerArchive = in.resolve("docker.tar");
    try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(dockerArchive), 1 << 20)) {
      TarWriter w = new TarWriter(o);
      String configName = Digest.sha256(config).hex() + ".json";
      w.write(TarEntry.builder().name(configName).mode(0644).size(config.length).build(), config);
      w.write(
          TarEntry.builder().name("layer").type(EntryType.DIRECTORY).mode(0755).build(),
          new byte[0]);
      w.putEntry(TarEntry.builder().name("layer/layer.tar").mode(0644).size(size).build());
      try (InputStream li = Files.newInputStream(layerTar)) {
        w.copyContent(li);
      }
      byte[] dm =
          Json.compact(
              JsonNodeFactory.instance
                  .arrayNode()
                  .add(
                      JsonNodeFactory.instance
                          .objectNode()
                          .put("Config", configName)
                          .<ObjectNode>set(
                              "RepoTags", JsonNodeFactory.instance.arrayNode().add(Img.REPO_TAG))
                          .<ObjectNode>set(
                              "Layers",
                              JsonNodeFactory.instance.arrayNode().add("layer/layer.tar"))));
      w.write(TarEntry.builder().name("manifest.json").mode(0644).size(dm.length).build(), dm);
      w.finish();
    }
    // what uninterrupted runs write
    Path ref = Files.createDirectories(shared.resolve("reference"));
    Path scratch = Files.createDirectories(shared.resolve("scratch"));
    ok(
        HostileCli.inProcess(
            List.of("export", "-q", ociRef, ref.resolve("x.tar").toString()), scratch));
    referenceExport = sha256(ref.resolve("x.tar"));
    ok(
        HostileCli.inProcess(
            List.of("export", "-q", "--split", ociRef, ref.resolve("split").toString()), scratch));
    referenceSplit = Workspace.snapshot(ref.resolve("split/rootfs"));
    inputs = Workspace.snapshot(in);
  }

  private static byte[] config(Digest diffId) {
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    c.put("architecture", "amd64").put("os", "linux").put("created", "2020-09-13T12:26:40Z");
    c.putObject("config").putArray("Cmd").add("/bin/sh");
    ObjectNode rootfs = c.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    ids.add(diffId.toString());
    return Json.compact(c);
  }

  private static HostileCli.Run ok(HostileCli.Run r) {
    assertEquals(0, r.exitCode(), r::toString);
    return r;
  }

  private static String sha256(Path file) throws IOException {
    java.security.MessageDigest md = Digest.newSha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] b = new byte[1 << 20];
      int n;
      while ((n = in.read(b)) >= 0) {
        md.update(b, 0, n);
      }
    }
    return Digest.fromHash("sha256", md.digest()).hex();
  }

  // ---------------------------------------------------------------- one killed run

  private record Setup(List<String> args, Predicate<Path> appears, Predicate<Path> half) {}

  private static long size(Path dir, Predicate<String> name) {
    if (!Files.exists(dir)) {
      return -1;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      long[] total = {-1};
      s.filter(p -> name.test(p.getFileName().toString()))
          .forEach(
              p -> {
                try {
                  total[0] = Math.max(total[0], 0) + Files.size(p);
                } catch (IOException gone) {
                  // renamed or deleted meanwhile
                }
              });
      return total[0];
    } catch (IOException | java.io.UncheckedIOException gone) {
      return -1;
    }
  }

  private static long count(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    } catch (IOException e) {
      return -1;
    }
  }

  private Setup setup(Op op, Path base, Path store, Path scratch) throws Exception {
    Path out = base.resolve("out");
    return switch (op) {
      case EXPORT_FILE ->
          new Setup(
              List.of("export", "-q", ociRef, out.resolve("export.tar").toString()),
              b -> size(out, n -> n.endsWith(".partial")) >= 0,
              b -> size(out, n -> n.endsWith(".partial")) >= TAR_SIZE / 2);
      case SPLIT_DIR ->
          new Setup(
              List.of("export", "-q", "--split", ociRef, out.resolve("split").toString()),
              b -> Files.exists(out.resolve("split/.rootfs.partial")),
              b ->
                  size(out.resolve("split/.rootfs.partial"), n -> n.startsWith("f"))
                      >= TAR_SIZE / 2);
      case IMPORT_OCI ->
          new Setup(
              List.of(
                  "import",
                  "-q",
                  "--compress",
                  "none",
                  layerTar.toString(),
                  "-o",
                  "oci:" + out.resolve("layout") + ":imported"),
              b -> size(scratch, n -> n.startsWith("isula-")) >= 0,
              b -> size(out.resolve("layout"), n -> n.endsWith(".partial")) >= TAR_SIZE / 2);
      case IMPORT_DOCKER ->
          new Setup(
              List.of(
                  "import",
                  "-q",
                  layerTar.toString(),
                  "hostile/image:1",
                  "-o",
                  "docker-archive:" + out.resolve("image.tar")),
              b -> size(scratch, n -> n.startsWith("isula-")) >= 0,
              b -> size(out, n -> n.endsWith(".partial")) >= TAR_SIZE / 2);
      case LOAD ->
          new Setup(
              List.of("load", "-q", "--root", store.toString(), "-i", dockerArchive.toString()),
              b -> size(store.resolve("blobs"), n -> n.startsWith(".tmp-")) >= 0,
              b -> size(store.resolve("blobs"), n -> n.startsWith(".tmp-")) >= TAR_SIZE / 2);
      case SAVE ->
          new Setup(
              List.of(
                  "save",
                  "-q",
                  "--root",
                  store.toString(),
                  Img.REPO_TAG,
                  "-o",
                  out.resolve("saved.tar").toString()),
              b -> size(out, n -> n.endsWith(".partial")) >= 0,
              b -> size(out, n -> n.endsWith(".partial")) >= TAR_SIZE / 2);
      case RM_PRUNE -> {
        long before = count(store.resolve("blobs/sha256"));
        yield new Setup(
            List.of("rm", "-q", "--prune", "--root", store.toString(), Img.REPO_TAG),
            b -> count(store.resolve("blobs/sha256")) < before,
            b -> count(store.resolve("blobs/sha256")) < before - UNUSED_BLOBS / 2);
      }
    };
  }

  private static final int UNUSED_BLOBS = 4000;

  @ParameterizedTest(name = "{0} killed at {1}")
  @MethodSource("runs")
  void killedRunLeavesOutputsAbsentOrComplete(Op op, Point point, @TempDir Path base)
      throws Exception {
    Path out = Files.createDirectories(base.resolve("out"));
    Path store = base.resolve("store");
    Path scratch = Files.createDirectories(base.resolve("scratch"));
    if (op == Op.LOAD) {
      Path good = base.resolve("good.tar");
      Img seed =
          Workspace.goodImage()
              .editDockerManifest(
                  a -> ((ObjectNode) a.get(0)).putArray("RepoTags").add("seed/good:1"));
      dev.isula.toolkit.testing.TestImage.writeTar(good, seed.docker());
      ok(
          HostileCli.inProcess(
              List.of("load", "-q", "--root", store.toString(), "-i", good.toString()), scratch));
    }
    if (op == Op.SAVE || op == Op.RM_PRUNE) {
      ok(
          HostileCli.inProcess(
              List.of("load", "-q", "--root", store.toString(), "-i", dockerArchive.toString()),
              scratch));
    }
    if (op == Op.RM_PRUNE) {
      Random r = new Random(3);
      byte[] b = new byte[64];
      for (int i = 0; i < UNUSED_BLOBS; i++) {
        r.nextBytes(b);
        Files.write(store.resolve("blobs/sha256/" + Digest.sha256(b).hex()), b);
      }
    }
    Setup s = setup(op, base, store, scratch);
    Path runDir = Files.createDirectories(base.resolve("run"));
    Process p = HostileCli.child(List.of(), s.args(), scratch, Map.of(), runDir).start();
    String what;
    try {
      Predicate<Path> trigger =
          switch (point) {
            case AT_START -> b -> true;
            case OUTPUT_APPEARS -> s.appears();
            case HALF_WRITTEN -> s.half();
          };
      boolean hit = false;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (p.isAlive() && System.nanoTime() < deadline) {
        if (trigger.test(base)) {
          hit = true;
          break;
        }
        Thread.sleep(1);
      }
      if (hit && p.isAlive()) {
        p.destroyForcibly();
        what = "killed";
        if (point != Point.AT_START) {
          synchronized (KILLED_DURING) {
            KILLED_DURING.merge(op, 1, Integer::sum);
          }
        }
      } else {
        what = "finished first";
      }
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child ends");
    } finally {
      p.destroyForcibly();
    }
    if (what.equals("finished first")) {
      HostileCli.Run run = HostileCli.finished(s.args(), p.exitValue(), runDir);
      assertEquals(0, run.exitCode(), run::toString);
    }
    String result = check(op, base, out, store, scratch);
    TABLE.put(String.format("%-14s %-15s", op, point), String.format("%-15s %s", what, result));
    assertEquals(inputs, Workspace.snapshot(shared.resolve("in")), "inputs are never modified");
  }

  /** The post-mortem: outputs absent or complete; the store readable and prunable. */
  private String check(Op op, Path base, Path out, Path store, Path scratch) throws Exception {
    Path again = Files.createDirectories(base.resolve("again"));
    switch (op) {
      case EXPORT_FILE -> {
        Path f = out.resolve("export.tar");
        if (!Files.exists(f)) {
          return "export.tar absent" + leftovers(out);
        }
        assertEquals(referenceExport, sha256(f), "a complete export.tar");
        return "export.tar complete" + leftovers(out);
      }
      case SPLIT_DIR -> {
        Path split = out.resolve("split");
        if (!Files.exists(split.resolve("rootfs"))) {
          return "rootfs/ absent" + leftovers(split);
        }
        assertTrue(Files.isRegularFile(split.resolve("empty.tar")), "empty.tar before rootfs/");
        assertEquals(referenceSplit, Workspace.snapshot(split.resolve("rootfs")));
        ok(
            HostileCli.inProcess(
                List.of(
                    "import",
                    "-q",
                    "--rootfs",
                    split.resolve("rootfs").toString(),
                    split.resolve("empty.tar").toString(),
                    "-o",
                    "docker-archive:" + again.resolve("back.tar")),
                scratch));
        return "pair complete (and imports back)" + leftovers(split);
      }
      case IMPORT_OCI -> {
        Path layout = out.resolve("layout");
        Path index = layout.resolve("index.json");
        if (!Files.exists(index) || !Files.readString(index).contains("\"imported\"")) {
          return "image absent" + leftovers(layout);
        }
        return exportsLikeTheOriginal("oci:" + layout + ":imported", again, scratch, null)
            + leftovers(layout);
      }
      case IMPORT_DOCKER -> {
        Path f = out.resolve("image.tar");
        if (!Files.exists(f)) {
          return "image.tar absent" + leftovers(out);
        }
        return exportsLikeTheOriginal("docker-archive:" + f, again, scratch, null) + leftovers(out);
      }
      case SAVE -> {
        Path f = out.resolve("saved.tar");
        if (!Files.exists(f)) {
          return "saved.tar absent" + leftovers(out);
        }
        return exportsLikeTheOriginal("docker-archive:" + f, again, scratch, null) + leftovers(out);
      }
      case LOAD, RM_PRUNE -> {
        HostileCli.Run images =
            ok(
                HostileCli.inProcess(
                    List.of("images", "--root", store.toString(), "--format", "json"), scratch));
        String state;
        if (images.out().contains("hostile/image")) {
          state =
              "image in the store: "
                  + exportsLikeTheOriginal(
                      "store:" + Img.REPO_TAG, again, scratch, store.toString());
        } else {
          state = "image not in the store";
        }
        List<String> before = storeLeftovers(store);
        HostileCli.Run prune =
            ok(HostileCli.inProcess(List.of("rm", "--prune", "--root", store.toString()), scratch));
        assertEquals(List.of(), storeLeftovers(store), () -> "rm --prune cleans up\n" + prune);
        HostileCli.Run second =
            ok(HostileCli.inProcess(List.of("rm", "--prune", "--root", store.toString()), scratch));
        assertTrue(
            second.out().startsWith("Pruned 0 blobs"), () -> "nothing left to prune\n" + second);
        return state
            + "; rm --prune removed "
            + before.size()
            + " leftovers, "
            + prune.out().strip();
      }
    }
    throw new IllegalStateException();
  }

  private static String exportsLikeTheOriginal(String ref, Path again, Path scratch, String root)
      throws IOException {
    List<String> args = new ArrayList<>(List.of("export", "-q"));
    if (root != null) {
      args.addAll(List.of("--root", root));
    }
    args.addAll(List.of(ref, again.resolve("x.tar").toString()));
    ok(HostileCli.inProcess(args, scratch));
    assertEquals(referenceExport, sha256(again.resolve("x.tar")), "complete: " + ref);
    Files.delete(again.resolve("x.tar"));
    return "complete";
  }

  /** Temporary files a killed process may leave (named so that nothing mistakes them). */
  private static String leftovers(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return "";
    }
    List<String> left = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(p -> !p.equals(dir)).forEach(p -> left.add(dir.relativize(p).toString()));
    }
    left.removeIf(n -> n.startsWith(".rootfs.partial/") || n.startsWith("blobs/"));
    for (String n : left) {
      assertTrue(
          n.endsWith(".partial")
              || n.equals(".rootfs.partial")
              || n.equals("empty.tar")
              || n.equals("rootfs")
              || n.startsWith("rootfs/")
              || n.equals("blobs")
              || n.equals("oci-layout")
              || n.equals("index.json")
              || n.equals("export.tar")
              || n.equals("image.tar")
              || n.equals("saved.tar"),
          "unexpected leftover " + n);
    }
    List<String> partial = left.stream().filter(n -> n.endsWith(".partial")).toList();
    return partial.isEmpty() ? "" : "; left " + partial.size() + " *.partial";
  }

  private static List<String> storeLeftovers(Path store) throws IOException {
    List<String> out = new ArrayList<>();
    if (!Files.exists(store)) {
      return out;
    }
    try (Stream<Path> s = Files.walk(store)) {
      s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".partial")).forEach(out::add);
    }
    return out;
  }

  @AfterAll
  static void printTable() {
    if (TABLE.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-14s %-15s %-15s %s%n", "OP", "KILL POINT", "PROCESS", "RESULT"));
    TABLE.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
    sb.append("killed while writing: ").append(KILLED_DURING).append('\n');
    System.out.println(sb);
    if (TABLE.size() == runs().count()) {
      for (Op op : Op.values()) {
        assertTrue(
            KILLED_DURING.getOrDefault(op, 0) > 0, op + " was never killed while writing:\n" + sb);
      }
    }
  }
}
