package dev.isula.format.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes an image into an OCI image layout directory, creating it if needed and adding to it if it
 * holds other images (as skopeo does). Blobs are written to temporary names and renamed into place;
 * {@code index.json} is replaced by a rename at the very end, so readers see either the old layout
 * or the new one. On failure the files this sink added are removed again.
 */
final class OciLayoutSink implements ImageSink {
  private final Path dir;
  private final String tag;
  private final WriteOptions options;

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
    writeAll(List.of(image));
  }

  /** Several images, each under its tag (the sink's for one image, else the image's own name). */
  @Override
  public void writeAll(List<Image> images) throws IOException, IsulaException {
    List<Path> layoutFiles = OciLayoutWrites.ensureLayout(dir);
    List<OciLayoutWrites.Written> written = new java.util.ArrayList<>();
    boolean committed = false;
    try {
      ObjectNode index = OciLayoutWrites.readIndex(dir);
      for (Image image : images) {
        OciLayoutWrites.Written w = OciLayoutWrites.writeBlobs(dir, image, options);
        written.add(w);
        String ref =
            images.size() == 1 ? tag : image.names().isEmpty() ? null : image.names().get(0);
        ArrayNode kept = JsonNodeFactory.instance.arrayNode();
        for (JsonNode m : index.get("manifests")) {
          JsonNode ann = m.get("annotations");
          String r = ann == null ? null : Json.optText(ann, OciLayoutReader.REF_NAME);
          if (ref == null || !ref.equals(r)) {
            kept.add(m); // a tag moves to the new image
          }
        }
        kept.add(OciLayoutWrites.entry(w.manifest(), w.manifestSize(), ref));
        index.set("manifests", kept);
      }
      OciLayoutWrites.writeIndex(dir, index);
      committed = true;
    } finally {
      if (!committed) {
        for (OciLayoutWrites.Written w : written) {
          w.discard();
        }
        OciLayoutWrites.undoLayout(layoutFiles);
      }
    }
  }

  @Override
  public void close() {}
}
