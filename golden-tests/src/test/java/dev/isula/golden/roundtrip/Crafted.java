package dev.isula.golden.roundtrip;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hand-made docker-archives, for configs and manifests the sample images never have: a config
 * without dates, a layer stored compressed, a manifest breaking one loader rule.
 */
final class Crafted {
  private Crafted() {}

  /** A config for {@code tars} (plain layer tars): platform, created dates, rootfs, history. */
  static ObjectNode config(List<byte[]> tars, String created) {
    ObjectNode c = JsonNodeFactory.instance.objectNode();
    c.put("architecture", "amd64");
    c.put("os", "linux");
    if (created != null) {
      c.put("created", created);
    }
    c.putObject("config").putArray("Cmd").add("/bin/hello");
    ObjectNode rootfs = c.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    ArrayNode history = c.putArray("history");
    for (int i = 0; i < tars.size(); i++) {
      ids.add(Digest.sha256(tars.get(i)).toString());
      ObjectNode h = history.addObject();
      if (created != null) {
        h.put("created", created);
      }
      h.put("created_by", "layer " + i);
    }
    return c;
  }

  /** The files of a classic docker-archive: layers as {@code <sha of blob>/layer.tar}. */
  static Map<String, byte[]> files(ObjectNode config, List<byte[]> layerBlobs, List<String> tags) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    byte[] cfg = Json.compact(config);
    String configName = Digest.sha256(cfg).hex() + ".json";
    files.put(configName, cfg);
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    m.put("Config", configName);
    ArrayNode rt = m.putArray("RepoTags");
    tags.forEach(rt::add);
    ArrayNode layers = m.putArray("Layers");
    for (byte[] b : layerBlobs) {
      String dir = Digest.sha256(b).hex();
      files.put(dir + "/layer.tar", b);
      layers.add(dir + "/layer.tar");
    }
    ArrayNode manifest = JsonNodeFactory.instance.arrayNode().add(m);
    files.put("manifest.json", Json.compact(manifest));
    return files;
  }

  static Path write(Path file, Map<String, byte[]> files) throws IOException {
    TestImage.writeTar(file, files);
    return file;
  }

  static Path dockerArchive(Path file, ObjectNode config, List<byte[]> layerBlobs, String... tags)
      throws IOException {
    return write(file, files(config, layerBlobs, List.of(tags)));
  }
}
