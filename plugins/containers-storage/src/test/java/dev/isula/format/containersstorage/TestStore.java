package dev.isula.format.containersstorage;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Writes stores in the two layouts the reader knows, from {@link TestImage}s with uncompressed
 * layers: what containers/storage (podman 4.3, c/storage 1.43) writes for a loaded image, and what
 * iSulad's image and layer stores write. Layer directories hold the files of their own layer (all
 * the tar-split rebuild looks at); tar-split files are made from the layer tars the way tar-split
 * packs them: the bytes around file contents as segments, each file's content as a name, size and
 * big-endian CRC-64.
 */
final class TestStore {
  final Path root;
  final String driver;
  final boolean isulad;

  private TestStore(Path root, String driver, boolean isulad) {
    this.root = root;
    this.driver = driver;
    this.isulad = isulad;
  }

  /** An empty containers/storage store (lock files, empty lists). */
  static TestStore containersStorage(Path root, String driver) throws IOException {
    TestStore s = new TestStore(root, driver, false);
    Files.createDirectories(root.resolve(driver + "-images"));
    Files.createDirectories(root.resolve(driver + "-layers"));
    Files.createDirectories(root.resolve(driver));
    Files.write(root.resolve("storage.lock"), new byte[0]);
    Files.write(s.layersDir().resolve("layers.lock"), new byte[0]);
    Files.write(s.imagesDir().resolve("images.lock"), new byte[0]);
    Files.writeString(s.layersDir().resolve("layers.json"), "[]");
    Files.writeString(s.imagesDir().resolve("images.json"), "[]");
    return s;
  }

  /** An empty iSulad store (no lock files, per-entry directories). */
  static TestStore isulad(Path root, String driver) throws IOException {
    TestStore s = new TestStore(root, driver, true);
    Files.createDirectories(root.resolve(driver + "-images"));
    Files.createDirectories(root.resolve(driver + "-layers"));
    Files.createDirectories(root.resolve(driver));
    return s;
  }

  Path imagesDir() {
    return root.resolve(driver + "-images");
  }

  Path layersDir() {
    return root.resolve(driver + "-layers");
  }

  /** The directory the reader takes a layer's files from. */
  Path layerDir(String id) {
    return driver.equals("vfs")
        ? root.resolve(driver).resolve("dir").resolve(id)
        : root.resolve(driver).resolve(id).resolve("diff");
  }

  Path tarSplit(String id) {
    return isulad
        ? layersDir().resolve(id).resolve(id + ".tar-split.gz")
        : layersDir().resolve(id + ".tar-split.gz");
  }

  /**
   * Adds {@code image} under {@code names}.
   *
   * @return the layer ids, bottom first
   */
  List<String> add(TestImage image, List<String> names) throws IOException {
    List<String> ids = new ArrayList<>();
    String parent = null;
    for (byte[] tar : image.tars()) {
      Digest diffId = Digest.sha256(tar);
      String id =
          parent == null
              ? diffId.hex()
              : Digest.sha256((parent + " " + diffId).getBytes(StandardCharsets.UTF_8)).hex();
      ObjectNode l = JsonNodeFactory.instance.objectNode();
      l.put("id", id);
      if (parent != null) {
        l.put("parent", parent);
      }
      l.put("created", "2020-09-13T12:26:40Z");
      l.put("compressed-diff-digest", diffId.toString());
      l.put("compressed-size", tar.length);
      l.put("diff-digest", diffId.toString());
      l.put("diff-size", tar.length);
      putLayer(id, l);
      writeTarSplit(tar, tarSplit(id), !isulad);
      extractFiles(tar, layerDir(id));
      ids.add(id);
      parent = id;
    }
    byte[] config = image.configBytes();
    byte[] manifest = image.manifestBytes();
    String imageId = Digest.sha256(config).hex();
    Digest manifestDigest = Digest.sha256(manifest);
    ObjectNode i = JsonNodeFactory.instance.objectNode();
    i.put("id", imageId);
    i.put("digest", manifestDigest.toString());
    ArrayNode n = i.putArray("names");
    names.forEach(n::add);
    if (parent != null) {
      i.put("layer", parent);
    }
    String configKey = "sha256:" + imageId;
    String manifestKey = "manifest-" + manifestDigest;
    ArrayNode bdn = i.putArray("big-data-names");
    bdn.add(configKey).add(manifestKey).add("manifest");
    ObjectNode sizes = i.putObject("big-data-sizes");
    ObjectNode digests = i.putObject("big-data-digests");
    for (String[] kv : new String[][] {{configKey, "c"}, {manifestKey, "m"}, {"manifest", "m"}}) {
      byte[] data = kv[1].equals("c") ? config : manifest;
      sizes.put(kv[0], data.length);
      digests.put(kv[0], Digest.sha256(data).toString());
      Path dir = imagesDir().resolve(imageId);
      Files.createDirectories(dir);
      Files.write(dir.resolve(bigDataName(kv[0])), data);
    }
    i.put("created", "2020-09-13T12:26:40Z");
    putImage(imageId, i);
    return ids;
  }

  /** containers/storage's makeBigDataBaseName. */
  static String bigDataName(String key) {
    return key.matches("[.0-9a-z]+")
        ? key
        : "=" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
  }

  private void putLayer(String id, ObjectNode l) throws IOException {
    if (isulad) {
      Path dir = layersDir().resolve(id);
      Files.createDirectories(dir);
      Files.write(dir.resolve("layer.json"), Json.compact(l));
    } else {
      append(layersDir().resolve("layers.json"), l);
    }
  }

  private void putImage(String id, ObjectNode i) throws IOException {
    if (isulad) {
      Files.write(imagesDir().resolve(id).resolve("images.json"), Json.compact(i));
    } else {
      append(imagesDir().resolve("images.json"), i);
    }
  }

  private static void append(Path listFile, ObjectNode entry) throws IOException {
    ArrayNode list = (ArrayNode) Json.mapper().readTree(Files.readAllBytes(listFile));
    list.add(entry);
    Files.write(listFile, Json.compact(list));
  }

  /** Rewrites the entry of layer {@code id} in layers.json (or layer.json). */
  void editLayer(String id, java.util.function.Consumer<ObjectNode> edit) throws IOException {
    if (isulad) {
      Path f = layersDir().resolve(id).resolve("layer.json");
      ObjectNode l = (ObjectNode) Json.mapper().readTree(Files.readAllBytes(f));
      edit.accept(l);
      Files.write(f, Json.compact(l));
      return;
    }
    Path f = layersDir().resolve("layers.json");
    ArrayNode list = (ArrayNode) Json.mapper().readTree(Files.readAllBytes(f));
    for (int k = 0; k < list.size(); k++) {
      if (list.get(k).path("id").asText().equals(id)) {
        edit.accept((ObjectNode) list.get(k));
      }
    }
    Files.write(f, Json.compact(list));
  }

  /** Removes layer {@code id} from layers.json (as a half-done removal leaves it). */
  void dropLayerEntry(String id) throws IOException {
    Path f = layersDir().resolve("layers.json");
    ArrayNode list = (ArrayNode) Json.mapper().readTree(Files.readAllBytes(f));
    ArrayNode kept = JsonNodeFactory.instance.arrayNode();
    list.forEach(
        l -> {
          if (!l.path("id").asText().equals(id)) {
            kept.add(l);
          }
        });
    Files.write(f, Json.compact(kept));
  }

  /** A tar-split file for {@code tar}; without segments when {@code segments} is false. */
  static void writeTarSplit(byte[] tar, Path out, boolean segments) throws IOException {
    Files.createDirectories(out.getParent());
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(out))) {
      TarReader r = new TarReader(new ByteArrayInputStream(tar));
      long pos = 0;
      int position = 0;
      TarEntry e;
      while ((e = r.next()) != null) {
        long data = r.dataOffset();
        if (segments) {
          line(o, segment(Arrays.copyOfRange(tar, (int) pos, (int) data), position++));
        }
        ObjectNode f = JsonNodeFactory.instance.objectNode();
        f.put("type", 1);
        f.put("name", e.name());
        if (e.size() > 0) {
          f.put("size", e.size());
          byte[] content = r.content().readAllBytes();
          f.put("payload", crcBytes(Crc64.of(content)));
        } else {
          f.putNull("payload");
        }
        f.put("position", position++);
        line(o, f);
        pos = data + e.size();
      }
      if (segments) {
        line(o, segment(Arrays.copyOfRange(tar, (int) pos, tar.length), position));
      }
    } catch (IsulaException e) {
      throw new IOException(e);
    }
  }

  private static ObjectNode segment(byte[] bytes, int position) {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.put("type", 2);
    s.put("payload", bytes);
    s.put("position", position);
    return s;
  }

  private static byte[] crcBytes(long crc) {
    byte[] b = new byte[8];
    for (int i = 7; i >= 0; i--) {
      b[i] = (byte) crc;
      crc >>>= 8;
    }
    return b;
  }

  private static void line(OutputStream o, ObjectNode n) throws IOException {
    o.write(Json.compact(n));
    o.write('\n');
  }

  /** Writes the layer's directories and regular files (contents only) under {@code dir}. */
  static void extractFiles(byte[] tar, Path dir) throws IOException {
    Files.createDirectories(dir);
    try {
      TarReader r = new TarReader(new ByteArrayInputStream(tar));
      TarEntry e;
      while ((e = r.next()) != null) {
        String name = e.name().replaceFirst("^\\./", "").replaceFirst("/$", "");
        if (name.isEmpty() || name.contains(".wh.")) {
          continue;
        }
        Path p = dir.resolve(name);
        if (e.isDirectory()) {
          Files.createDirectories(p);
        } else if (e.isFile()) {
          Files.createDirectories(p.getParent());
          try (InputStream in = r.content()) {
            Files.write(p, in.readAllBytes());
          }
        }
      }
    } catch (IsulaException e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }
}
