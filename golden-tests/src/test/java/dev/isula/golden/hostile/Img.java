package dev.isula.golden.hostile;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A test image whose every document can be edited or replaced by raw bytes before it is written, as
 * an OCI layout (file map), oci-archive or classic docker-archive: the raw material of hostile
 * inputs. Layers are given as tars (compressed here) or as ready blobs with a claimed DiffID (for
 * bombs, whose tar is never materialised).
 */
final class Img {
  static final String TAG = "v1";
  static final String REPO_TAG = "hostile/image:1";

  /** One layer: the stored blob, the DiffID the config claims, its media type. */
  record Layer(byte[] blob, Digest diffId, String mediaType) {}

  private final List<Layer> layers = new ArrayList<>();
  private Consumer<ObjectNode> configEdit = c -> {};
  private byte[] rawConfig;
  private Consumer<ObjectNode> manifestEdit = m -> {};
  private byte[] rawManifest;
  private Consumer<ObjectNode> indexEdit = i -> {};
  private byte[] rawIndex;
  private Consumer<ArrayNode> dockerManifestEdit = a -> {};
  private byte[] rawDockerManifest;

  /** An image of these layer tars, each stored gzip-compressed. */
  static Img of(byte[]... tars) {
    Img img = new Img();
    for (byte[] t : tars) {
      img.layer(t, Compression.GZIP);
    }
    return img;
  }

  Img layer(byte[] tar, Compression c) {
    String type =
        switch (c) {
          case NONE -> MediaTypes.OCI_LAYER;
          case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
          default -> MediaTypes.OCI_LAYER_GZIP;
        };
    layers.add(new Layer(compress(tar, c), Digest.sha256(tar), type));
    return this;
  }

  /** A ready blob claiming {@code diffId}. */
  Img rawLayer(byte[] blob, Digest diffId, String mediaType) {
    layers.add(new Layer(blob, diffId, mediaType));
    return this;
  }

  List<Layer> layers() {
    return layers;
  }

  Img editConfig(Consumer<ObjectNode> e) {
    configEdit = configEdit.andThen(e);
    return this;
  }

  Img config(byte[] raw) {
    rawConfig = raw;
    return this;
  }

  Img editManifest(Consumer<ObjectNode> e) {
    manifestEdit = manifestEdit.andThen(e);
    return this;
  }

  Img manifest(byte[] raw) {
    rawManifest = raw;
    return this;
  }

  Img editIndex(Consumer<ObjectNode> e) {
    indexEdit = indexEdit.andThen(e);
    return this;
  }

  Img index(byte[] raw) {
    rawIndex = raw;
    return this;
  }

  Img editDockerManifest(Consumer<ArrayNode> e) {
    dockerManifestEdit = dockerManifestEdit.andThen(e);
    return this;
  }

  Img dockerManifest(byte[] raw) {
    rawDockerManifest = raw;
    return this;
  }

  byte[] configBytes() {
    if (rawConfig != null) {
      return rawConfig;
    }
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    c.put("architecture", "amd64");
    c.put("os", "linux");
    c.put("created", "2020-09-13T12:26:40Z");
    c.putObject("config").putArray("Cmd").add("/bin/sh");
    ObjectNode rootfs = c.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    layers.forEach(l -> ids.add(l.diffId().toString()));
    configEdit.accept(c);
    return Json.compact(c);
  }

  byte[] manifestBytes() {
    if (rawManifest != null) {
      return rawManifest;
    }
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MediaTypes.OCI_MANIFEST);
    byte[] config = configBytes();
    ObjectNode cd = m.putObject("config");
    cd.put("mediaType", MediaTypes.OCI_CONFIG);
    cd.put("digest", Digest.sha256(config).toString());
    cd.put("size", config.length);
    ArrayNode ls = m.putArray("layers");
    for (Layer l : layers) {
      ls.addObject()
          .put("mediaType", l.mediaType())
          .put("digest", Digest.sha256(l.blob()).toString())
          .put("size", l.blob().length);
    }
    manifestEdit.accept(m);
    return Json.compact(m);
  }

  byte[] indexBytes() {
    if (rawIndex != null) {
      return rawIndex;
    }
    byte[] manifest = manifestBytes();
    ObjectNode index = JsonNodeFactory.instance.objectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ObjectNode d = index.putArray("manifests").addObject();
    d.put("mediaType", MediaTypes.OCI_MANIFEST);
    d.put("digest", Digest.sha256(manifest).toString());
    d.put("size", manifest.length);
    d.putObject("annotations").put("org.opencontainers.image.ref.name", TAG);
    indexEdit.accept(index);
    return Json.compact(index);
  }

  /** The files of an OCI image layout: oci-layout, blobs/sha256/*, index.json. */
  Map<String, byte[]> oci() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("oci-layout", utf8("{\"imageLayoutVersion\":\"1.0.0\"}"));
    for (Layer l : layers) {
      files.put(blobName(l.blob()), l.blob());
    }
    byte[] config = configBytes();
    files.put(blobName(config), config);
    byte[] manifest = manifestBytes();
    files.put(blobName(manifest), manifest);
    files.put("index.json", indexBytes());
    return files;
  }

  /** The files of a classic docker-archive: HEX/layer.tar, CONFIGHEX.json, manifest.json. */
  Map<String, byte[]> docker() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    byte[] config = configBytes();
    files.put(configName(), config);
    for (String name : dockerLayerNames()) {
      files.put(name.replace("layer.tar", "VERSION"), utf8("1.0"));
    }
    for (int i = 0; i < layers.size(); i++) {
      files.put(dockerLayerNames().get(i), layers.get(i).blob());
    }
    files.put("manifest.json", dockerManifestBytes());
    return files;
  }

  String configName() {
    return Digest.sha256(configBytes()).hex() + ".json";
  }

  List<String> dockerLayerNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      names.add(Digest.sha256(layers.get(i).blob()).hex() + "/layer.tar");
    }
    return names;
  }

  byte[] dockerManifestBytes() {
    if (rawDockerManifest != null) {
      return rawDockerManifest;
    }
    ArrayNode arr = JsonNodeFactory.instance.arrayNode();
    ObjectNode o = arr.addObject();
    o.put("Config", configName());
    o.putArray("RepoTags").add(REPO_TAG);
    ArrayNode ls = o.putArray("Layers");
    dockerLayerNames().forEach(ls::add);
    dockerManifestEdit.accept(arr);
    return Json.compact(arr);
  }

  static String blobName(byte[] content) {
    return "blobs/sha256/" + Digest.sha256(content).hex();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] compress(byte[] data, Compression c) {
    try {
      ByteArrayOutputStream bo = new ByteArrayOutputStream();
      try (OutputStream o = c.compress(bo, -1, 1)) {
        o.write(data);
      }
      return bo.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
