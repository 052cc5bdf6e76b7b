package dev.isula.toolkit.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes test images as an OCI image layout (directory or file map), optionally multi-platform. */
public final class OciLayoutWriter {
  /** One index entry: an image, its ref name (or null), and whether to skip the layout marker. */
  public record Entry(TestImage image, String tag, boolean withPlatform) {}

  private OciLayoutWriter() {}

  public static Path write(Path dir, List<Entry> entries) throws IOException {
    for (Map.Entry<String, byte[]> f : files(entries).entrySet()) {
      Path p = dir.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, f.getValue());
    }
    return dir;
  }

  /** The files of a layout whose index.json lists each entry's manifest. */
  public static Map<String, byte[]> files(List<Entry> entries) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
    ObjectNode index = JsonNodeFactory.instance.objectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    for (Entry e : entries) {
      e.image().blobs().forEach((hex, bytes) -> files.put("blobs/sha256/" + hex, bytes));
      manifests.add(descriptor(e.image(), e.tag(), e.withPlatform()));
    }
    files.put("index.json", Json.compact(index));
    return files;
  }

  /** A multi-platform index blob over {@code images}; returns its bytes (also add blobs). */
  public static byte[] platformIndex(List<TestImage> images) {
    ObjectNode index = JsonNodeFactory.instance.objectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    for (TestImage img : images) {
      manifests.add(descriptor(img, null, true));
    }
    return Json.compact(index);
  }

  static ObjectNode descriptor(TestImage img, String tag, boolean withPlatform) {
    byte[] manifest = img.manifestBytes();
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    d.put("mediaType", MediaTypes.OCI_MANIFEST);
    d.put("digest", Digest.sha256(manifest).toString());
    d.put("size", manifest.length);
    if (withPlatform) {
      ObjectNode config;
      try {
        config = (ObjectNode) Json.mapper().readTree(img.configBytes());
      } catch (IOException ex) {
        throw new java.io.UncheckedIOException(ex);
      }
      ObjectNode p = d.putObject("platform");
      p.put("architecture", config.get("architecture").asText());
      p.put("os", config.get("os").asText());
      if (config.has("variant")) {
        p.put("variant", config.get("variant").asText());
      }
    }
    if (tag != null) {
      d.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
    }
    return d;
  }
}
