package dev.isula.format.oci;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.LayerBlobs;
import dev.isula.toolkit.image.ManifestBuilder;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.io.AtomicOutputFile;
import dev.isula.toolkit.io.NamedOutputStream;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarContentStream;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Writes an image as an oci-archive: a tar of an OCI layout, created atomically. */
final class OciArchiveSink implements ImageSink {
  private final Path file;
  private final String tag;
  private final WriteOptions options;

  OciArchiveSink(Path file, String tag, WriteOptions options) {
    this.file = file;
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
    try (AtomicOutputFile out = AtomicOutputFile.create(file)) {
      TarWriter w = new TarWriter(NamedOutputStream.of(out.stream(), file));
      putFile(
          w, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
      putDir(w, "blobs");
      putDir(w, "blobs/sha256");
      Set<Digest> written = new HashSet<>();
      ObjectNode index = JsonNodeFactory.instance.objectNode();
      index.put("schemaVersion", 2);
      index.put("mediaType", MediaTypes.OCI_INDEX);
      ArrayNode manifests = index.putArray("manifests");
      for (Image image : images) {
        List<LayerBlobs.Prepared> layers = new ArrayList<>();
        try {
          for (var layer : image.layers()) {
            options.log().accept("writing " + layer.describe());
            LayerBlobs.Prepared p =
                LayerBlobs.prepare(layer, options.compression(), options.threads());
            layers.add(p);
            if (written.add(p.digest())) {
              w.putEntry(entry("blobs/sha256/" + p.digest().hex(), p.size()));
              p.copyTo(new TarContentStream(w));
            }
          }
          byte[] config = image.configBytes();
          if (written.add(Digest.sha256(config))) {
            putFile(w, "blobs/sha256/" + Digest.sha256(config).hex(), config);
          }
          byte[] manifest = ManifestBuilder.forImage(image, layers);
          Digest md = Digest.sha256(manifest);
          if (written.add(md)) {
            putFile(w, "blobs/sha256/" + md.hex(), manifest);
          }
          String ref =
              images.size() == 1 ? tag : image.names().isEmpty() ? null : image.names().get(0);
          ObjectNode d = manifests.addObject();
          d.put("mediaType", MediaTypes.OCI_MANIFEST);
          d.put("digest", md.toString());
          d.put("size", manifest.length);
          if (ref != null) {
            d.putObject("annotations").put(OciLayoutReader.REF_NAME, ref);
          }
        } finally {
          for (LayerBlobs.Prepared p : layers) {
            p.close();
          }
        }
      }
      putFile(w, "index.json", Json.compact(index));
      w.finish();
      try {
        out.commit();
      } catch (IOException e) {
        throw NamedOutputStream.named(e, file);
      }
    }
  }

  static TarEntry entry(String name, long size) {
    return TarEntry.builder().name(name).mode(0644).size(size).build();
  }

  static void putFile(TarWriter w, String name, byte[] content) throws IOException {
    w.write(entry(name, content.length), content);
  }

  static void putDir(TarWriter w, String name) throws IOException {
    w.write(
        TarEntry.builder().name(name).type(EntryType.DIRECTORY).mode(0755).build(), new byte[0]);
  }

  @Override
  public void close() {}
}
