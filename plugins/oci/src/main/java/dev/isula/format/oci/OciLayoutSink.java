package dev.isula.format.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.LayerBlobs;
import dev.isula.toolkit.image.ManifestBuilder;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes an image into an OCI image layout directory, creating it if needed and adding to it if it
 * holds other images (as skopeo does). Blobs are written to temporary names and renamed into place;
 * {@code index.json} is replaced by a rename at the very end, so readers see either the old layout
 * or the new one. On failure the blobs this sink added are removed again.
 */
final class OciLayoutSink implements ImageSink {
  private final Path dir;
  private final String tag;
  private final WriteOptions options;
  private final List<Path> added = new ArrayList<>();

  OciLayoutSink(Path dir, String tag, WriteOptions options) {
    this.dir = dir;
    this.tag = tag;
    this.options = options;
  }

  @Override
  public Compression layerCompression(Compression requested) {
    return requested == null ? Compression.GZIP : requested;
  }

  @Override
  public void write(Image image) throws IOException, IsulaException {
    boolean committed = false;
    List<LayerBlobs.Prepared> layers = new ArrayList<>();
    try {
      prepareDirectory();
      for (var layer : image.layers()) {
        options.log().accept("writing " + layer.describe());
        LayerBlobs.Prepared p = LayerBlobs.prepare(layer, options.compression(), options.threads());
        layers.add(p);
        writeBlob(p.digest(), p.size(), p::copyTo);
      }
      byte[] config = image.configBytes();
      writeBlob(Digest.sha256(config), config.length, out -> out.write(config));
      byte[] manifest = ManifestBuilder.forImage(image, layers);
      Digest manifestDigest = Digest.sha256(manifest);
      writeBlob(manifestDigest, manifest.length, out -> out.write(manifest));
      updateIndex(manifestDigest, manifest.length);
      committed = true;
    } finally {
      for (LayerBlobs.Prepared p : layers) {
        p.close();
      }
      if (!committed) {
        for (Path p : added) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private void prepareDirectory() throws IOException, IsulaException {
    if (!Files.exists(dir)) {
      Files.createDirectories(dir);
    }
    Path layout = dir.resolve("oci-layout");
    if (!Files.exists(layout)) {
      try (var s = Files.list(dir)) {
        if (s.findAny().isPresent()) {
          throw new InvalidImageException(
              dir + " is not empty and not an OCI image layout; refusing to write into it");
        }
      }
      replace(layout, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
      added.add(layout);
    }
    Files.createDirectories(dir.resolve("blobs").resolve("sha256"));
  }

  interface Content {
    void writeTo(OutputStream out) throws IOException, IsulaException;
  }

  private void writeBlob(Digest digest, long size, Content content)
      throws IOException, IsulaException {
    Path target = dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    if (Files.isRegularFile(target) && Files.size(target) == size) {
      return; // content-addressed: already there
    }
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), ".tmp-", ".partial");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
          OutputStream out =
              new java.io.BufferedOutputStream(
                  java.nio.channels.Channels.newOutputStream(ch), 1 << 20)) {
        content.writeTo(out);
        out.flush();
        ch.force(true);
      }
      if (Files.size(tmp) != size) {
        throw new IOException(
            "wrote " + Files.size(tmp) + " bytes for " + digest + ", expected " + size);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      added.add(target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private void updateIndex(Digest manifest, long size) throws IOException, IsulaException {
    Path indexFile = dir.resolve("index.json");
    ObjectNode index;
    if (Files.exists(indexFile)) {
      index =
          Json.parseObject(
              Json.readCapped(
                  Files.newInputStream(indexFile), Json.MAX_MANIFEST_BYTES, "index.json"),
              dir + ": index.json");
    } else {
      index = JsonNodeFactory.instance.objectNode();
      index.put("schemaVersion", 2);
      index.put("mediaType", MediaTypes.OCI_INDEX);
    }
    ArrayNode old =
        index.has("manifests") && index.get("manifests").isArray()
            ? (ArrayNode) index.get("manifests")
            : JsonNodeFactory.instance.arrayNode();
    ArrayNode manifests = JsonNodeFactory.instance.arrayNode();
    for (JsonNode m : old) {
      JsonNode ann = m.get("annotations");
      String ref = ann == null ? null : Json.optText(ann, OciLayoutReader.REF_NAME);
      if (tag != null && tag.equals(ref)) {
        continue; // the tag moves to the new image
      }
      manifests.add(m);
    }
    ObjectNode d = manifests.addObject();
    d.put("mediaType", MediaTypes.OCI_MANIFEST);
    d.put("digest", manifest.toString());
    d.put("size", size);
    if (tag != null) {
      d.putObject("annotations").put(OciLayoutReader.REF_NAME, tag);
    }
    index.set("manifests", manifests);
    replace(indexFile, Json.compact(index));
  }

  private static void replace(Path file, byte[] content) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".", ".partial");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(content));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public void close() {}
}
