package dev.isula.format.dockerarchive;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ImageName;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.LayerBlobs;
import dev.isula.toolkit.image.LayerStream;
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
import java.util.Map;
import java.util.Set;

/**
 * Writes images as a classic docker-archive, the layout every loader understands ({@code docker
 * load}, {@code podman load}, {@code isula load}, skopeo): {@code <id>/layer.tar} (uncompressed),
 * {@code <id>/VERSION}, {@code <id>/json}, {@code <config-hex>.json}, {@code manifest.json} and
 * {@code repositories}. Layer directory ids are chain digests, so identical layers at different
 * depths never collide and layers shared by several images are stored once. Images are named by the
 * reference (for one image), else by their own names. The file appears only when complete.
 */
final class DockerArchiveSink implements ImageSink {
  private final Path file;
  private final String name;
  private final WriteOptions options;

  DockerArchiveSink(Path file, String name, WriteOptions options) {
    this.file = file;
    this.name = name;
    this.options = options;
  }

  @Override
  public Compression layerCompression(Compression requested) {
    return Compression.NONE;
  }

  @Override
  public void write(Image image) throws IOException, IsulaException {
    writeAll(List.of(image));
  }

  @Override
  public void writeAll(List<Image> images) throws IOException, IsulaException {
    try (AtomicOutputFile out = AtomicOutputFile.create(file)) {
      TarWriter w = new TarWriter(NamedOutputStream.of(out.stream(), file));
      Set<String> written = new HashSet<>();
      Map<Compression, Integer> unpacked = new java.util.EnumMap<>(Compression.class);
      ArrayNode manifest = JsonNodeFactory.instance.arrayNode();
      ObjectNode repos = JsonNodeFactory.instance.objectNode();
      for (Image image : images) {
        String parent = null;
        List<String> layerPaths = new ArrayList<>();
        for (Layer layer : image.layers()) {
          String id =
              Digest.sha256(
                      ((parent == null ? "" : parent) + " " + layer.diffId())
                          .getBytes(StandardCharsets.UTF_8))
                  .hex();
          if (written.add(id)) {
            options.log().accept("writing " + layer.describe());
            byte[] head = layer.source().head(Compression.MAGIC_LENGTH);
            Compression stored = Compression.detect(head, head.length);
            if (stored != Compression.NONE && stored != Compression.GZIP) {
              unpacked.merge(stored, 1, Integer::sum);
            }
            putDir(w, id);
            putFile(w, id + "/VERSION", "1.0".getBytes(StandardCharsets.UTF_8));
            ObjectNode v1 = JsonNodeFactory.instance.objectNode();
            v1.put("id", id);
            if (parent != null) {
              v1.put("parent", parent);
            }
            putFile(w, id + "/json", Json.compact(v1));
            if (stored == Compression.NONE && layer.size() >= 0) {
              // a plain tar of known size: copied as it is, checked against its DiffID
              try (LayerBlobs.Prepared p =
                  LayerBlobs.prepare(layer, Compression.NONE, options.threads())) {
                w.putEntry(entry(id + "/layer.tar", p.size()));
                p.copyTo(new TarContentStream(w));
              }
            } else {
              streamLayer(out, w, id + "/layer.tar", layer);
            }
          }
          layerPaths.add(id + "/layer.tar");
          parent = id;
        }
        byte[] config = image.configBytes();
        String configName = Digest.sha256(config).hex() + ".json";
        if (written.add(configName)) {
          putFile(w, configName, config);
        }
        List<String> tags = new ArrayList<>();
        for (String n : name != null && images.size() == 1 ? List.of(name) : image.names()) {
          tags.add(ImageName.familiar(n));
        }
        ObjectNode m = manifest.addObject();
        m.put("Config", configName);
        ArrayNode repoTags = m.putArray("RepoTags");
        tags.forEach(repoTags::add);
        ArrayNode lp = m.putArray("Layers");
        layerPaths.forEach(lp::add);
        if (parent != null) {
          for (String tag : tags) {
            int colon = tag.lastIndexOf(':');
            String repo = tag.substring(0, colon);
            ObjectNode r = repos.has(repo) ? (ObjectNode) repos.get(repo) : repos.putObject(repo);
            r.put(tag.substring(colon + 1), parent);
          }
        }
      }
      putFile(w, "manifest.json", Json.compact(manifest));
      if (!repos.isEmpty()) {
        putFile(w, "repositories", Json.compact(repos));
      }
      for (Map.Entry<String, byte[]> extra : options.extraFiles().entrySet()) {
        putFile(w, extra.getKey(), extra.getValue());
      }
      w.finish();
      try {
        out.commit();
      } catch (IOException e) {
        throw NamedOutputStream.named(e, file);
      }
      if (!unpacked.isEmpty()) {
        List<String> counts = new ArrayList<>();
        unpacked.forEach((c, n) -> counts.add(n + " " + c.id()));
        // the archive is fine for every loader; say why it is bigger than the source
        options
            .log()
            .accept(
                "note: "
                    + String.join(", ", counts)
                    + " layer(s) stored as plain tar in "
                    + file
                    + ": a docker-archive keeps its layers uncompressed, so isula load (which reads"
                    + " only plain or gzip layers) and docker load accept it");
      }
    }
  }

  /**
   * Decompresses {@code layer} straight into the archive: its header is written with size 0 and
   * patched once the content has ended and its DiffID (and blob digest) checked. No scratch copy of
   * the uncompressed layer; a layer that fails its check fails the whole (temporary) archive.
   */
  private void streamLayer(AtomicOutputFile out, TarWriter w, String name, Layer layer)
      throws IOException, IsulaException {
    long at = w.putOpenEntry(entry(name, 0));
    try (LayerStream s = layer.openVerifiedForCopy()) {
      byte[] buf = new byte[1 << 20];
      int r;
      while ((r = s.read(buf, 0, buf.length)) >= 0) {
        w.write(buf, 0, r);
      }
      s.verify();
    } catch (LayerStream.LayerReadException e) {
      throw new InvalidImageException(e.getMessage(), e);
    }
    long size = w.closeOpenEntry();
    try {
      out.patch(at, w.patchedHeader(size));
    } catch (IOException e) {
      throw NamedOutputStream.named(e, file);
    }
  }

  private static TarEntry entry(String name, long size) {
    return TarEntry.builder().name(name).mode(0644).size(size).build();
  }

  private static void putFile(TarWriter w, String name, byte[] content) throws IOException {
    w.write(entry(name, content.length), content);
  }

  private static void putDir(TarWriter w, String name) throws IOException {
    w.write(
        TarEntry.builder().name(name).type(EntryType.DIRECTORY).mode(0755).build(), new byte[0]);
  }

  @Override
  public void close() {}
}
