package dev.isula.toolkit.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A deterministic test image built from in-memory layer tars, written in any of the input formats
 * (OCI layout, oci-archive, docker-archive classic and Docker 25 style) or handed straight to the
 * flattener as {@link Layer}s. Same inputs give byte-identical files.
 */
public final class TestImage {
  private final List<byte[]> tars = new ArrayList<>();
  private final List<Compression> compressions = new ArrayList<>();
  private String os = "linux";
  private String architecture = "amd64";
  private String variant = "";
  private final Map<String, String> env = new LinkedHashMap<>();
  private List<String> cmd = List.of("/bin/sh");

  public static TestImage image() {
    return new TestImage();
  }

  public TestImage layer(byte[] tar) {
    return layer(tar, Compression.GZIP);
  }

  public TestImage layer(byte[] tar, Compression c) {
    tars.add(tar);
    compressions.add(c);
    return this;
  }

  public TestImage platform(String os, String arch, String variant) {
    this.os = os;
    this.architecture = arch;
    this.variant = variant == null ? "" : variant;
    return this;
  }

  public TestImage env(String key, String value) {
    env.put(key, value);
    return this;
  }

  public TestImage cmd(String... cmd) {
    this.cmd = List.of(cmd);
    return this;
  }

  public List<byte[]> tars() {
    return tars;
  }

  /** The layer blob as stored (compressed per layer). */
  public byte[] blob(int i) {
    return compress(tars.get(i), compressions.get(i));
  }

  public String layerMediaType(int i) {
    return switch (compressions.get(i)) {
      case NONE -> MediaTypes.OCI_LAYER;
      case GZIP -> MediaTypes.OCI_LAYER_GZIP;
      case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
      default -> throw new IllegalArgumentException("no media type for " + compressions.get(i));
    };
  }

  /** The layers as the flattener takes them, served from memory. */
  public List<Layer> layers() {
    List<Layer> out = new ArrayList<>();
    for (int i = 0; i < tars.size(); i++) {
      byte[] blob = blob(i);
      out.add(
          new Layer(
              i,
              tars.size(),
              layerMediaType(i),
              Digest.sha256(blob),
              blob.length,
              Digest.sha256(tars.get(i)),
              () -> new ByteArrayInputStream(blob)));
    }
    return out;
  }

  public byte[] configBytes() {
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    c.put("architecture", architecture);
    c.put("os", os);
    if (!variant.isEmpty()) {
      c.put("variant", variant);
    }
    c.put("created", "2020-09-13T12:26:40Z");
    ObjectNode cfg = c.putObject("config");
    ArrayNode e = cfg.putArray("Env");
    env.forEach((k, v) -> e.add(k + "=" + v));
    ArrayNode cm = cfg.putArray("Cmd");
    cmd.forEach(cm::add);
    ObjectNode rootfs = c.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    for (byte[] t : tars) {
      ids.add(Digest.sha256(t).toString());
    }
    ArrayNode history = c.putArray("history");
    for (int i = 0; i < tars.size(); i++) {
      history.addObject().put("created", "2020-09-13T12:26:40Z").put("created_by", "layer " + i);
    }
    return Json.compact(c);
  }

  public byte[] manifestBytes() {
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MediaTypes.OCI_MANIFEST);
    byte[] config = configBytes();
    ObjectNode cd = m.putObject("config");
    cd.put("mediaType", MediaTypes.OCI_CONFIG);
    cd.put("digest", Digest.sha256(config).toString());
    cd.put("size", config.length);
    ArrayNode layers = m.putArray("layers");
    for (int i = 0; i < tars.size(); i++) {
      byte[] blob = blob(i);
      layers
          .addObject()
          .put("mediaType", layerMediaType(i))
          .put("digest", Digest.sha256(blob).toString())
          .put("size", blob.length);
    }
    return Json.compact(m);
  }

  /** Blob files (digest hex to bytes) of this image: layers, config, manifest. */
  public Map<String, byte[]> blobs() {
    Map<String, byte[]> b = new LinkedHashMap<>();
    for (int i = 0; i < tars.size(); i++) {
      byte[] blob = blob(i);
      b.put(Digest.sha256(blob).hex(), blob);
    }
    byte[] config = configBytes();
    b.put(Digest.sha256(config).hex(), config);
    byte[] manifest = manifestBytes();
    b.put(Digest.sha256(manifest).hex(), manifest);
    return b;
  }

  /** An OCI layout directory whose index holds this image under {@code tag} (null: no name). */
  public Path writeOciLayout(Path dir, String tag) throws IOException {
    return OciLayoutWriter.write(dir, List.of(new OciLayoutWriter.Entry(this, tag, false)));
  }

  /** A tar of an OCI layout. */
  public Path writeOciArchive(Path file, String tag) throws IOException {
    Map<String, byte[]> files =
        OciLayoutWriter.files(List.of(new OciLayoutWriter.Entry(this, tag, false)));
    writeTar(file, files);
    return file;
  }

  /** A classic docker-archive: {@code <id>/layer.tar}, {@code <config-hex>.json}. */
  public Path writeDockerArchive(Path file, String... repoTags) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    dockerArchiveFiles(files, List.of(repoTags), false);
    files.put("manifest.json", dockerManifest(List.of(this), List.of(List.of(repoTags)), false));
    writeTar(file, files);
    return file;
  }

  /** A Docker 25+ style docker-archive: an OCI layout plus manifest.json. */
  public Path writeDocker25Archive(Path file, String repoTag) throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    dockerArchiveFiles(files, List.of(repoTag), true);
    files.putAll(OciLayoutWriter.files(List.of(new OciLayoutWriter.Entry(this, repoTag, true))));
    files.put("manifest.json", dockerManifest(List.of(this), List.of(List.of(repoTag)), true));
    writeTar(file, files);
    return file;
  }

  void dockerArchiveFiles(Map<String, byte[]> files, List<String> tags, boolean docker25) {
    byte[] config = configBytes();
    if (docker25) {
      files.put("blobs/sha256/" + Digest.sha256(config).hex(), config);
      for (byte[] t : tars) {
        files.put("blobs/sha256/" + Digest.sha256(t).hex(), t);
      }
    } else {
      files.put(Digest.sha256(config).hex() + ".json", config);
      for (byte[] t : tars) {
        String id = Digest.sha256(t).hex();
        files.put(id + "/VERSION", "1.0".getBytes(StandardCharsets.UTF_8));
        files.put(id + "/layer.tar", t);
      }
    }
  }

  /** manifest.json of a docker-archive holding several images. */
  public static byte[] dockerManifest(
      List<TestImage> images, List<List<String>> tags, boolean docker25) {
    ArrayNode arr = JsonNodeFactory.instance.arrayNode();
    for (int k = 0; k < images.size(); k++) {
      TestImage img = images.get(k);
      ObjectNode o = arr.addObject();
      String configHex = Digest.sha256(img.configBytes()).hex();
      o.put("Config", docker25 ? "blobs/sha256/" + configHex : configHex + ".json");
      ArrayNode rt = o.putArray("RepoTags");
      tags.get(k).forEach(rt::add);
      ArrayNode layers = o.putArray("Layers");
      for (byte[] t : img.tars) {
        String hex = Digest.sha256(t).hex();
        layers.add(docker25 ? "blobs/sha256/" + hex : hex + "/layer.tar");
      }
    }
    return Json.compact(arr);
  }

  /** Writes a tar of the given files (and their parent directories) in order. */
  public static void writeTar(Path file, Map<String, byte[]> files) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      writeTar(out, files);
    }
  }

  public static void writeTar(OutputStream out, Map<String, byte[]> files) throws IOException {
    TarWriter w = new TarWriter(out);
    java.util.Set<String> dirs = new java.util.HashSet<>();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      String name = f.getKey();
      for (int i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
        String d = name.substring(0, i);
        if (dirs.add(d)) {
          w.write(
              TarEntry.builder()
                  .name(d)
                  .type(EntryType.DIRECTORY)
                  .mode(0755)
                  .mtimeSeconds(TarBuilder.MTIME)
                  .build(),
              new byte[0]);
        }
      }
      w.write(
          TarEntry.builder()
              .name(name)
              .mode(0644)
              .size(f.getValue().length)
              .mtimeSeconds(TarBuilder.MTIME)
              .build(),
          f.getValue());
    }
    w.finish();
    out.flush();
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
