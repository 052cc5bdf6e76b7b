package dev.isula.format.dockerarchive;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.archive.FileTree;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Descriptor;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ImageName;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.PathReference;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one image out of a docker-archive by way of its {@code manifest.json}: the config file, the
 * layer files in order (following symlinks inside the archive), RepoTags, and Docker 25's {@code
 * LayerSources}. Content-addressed file names (Docker 25's {@code blobs/sha256/HEX}, the classic
 * {@code HEX.json} config) are verified against their bytes.
 */
final class DockerArchiveReader {
  private static final Pattern BLOB_NAME = Pattern.compile("blobs/(sha256|sha512)/([0-9a-f]+)");
  private static final Pattern CONFIG_NAME = Pattern.compile("([0-9a-f]{64})\\.json");

  private final FileTree tree;
  private final PathReference ref;
  private final String where;

  DockerArchiveReader(FileTree tree, PathReference ref) {
    this.tree = tree;
    this.ref = ref;
    this.where = "docker-archive:" + ref.path();
  }

  ImageSource read() throws IOException, IsulaException {
    if (!tree.isFile("manifest.json")) {
      throw new InvalidImageException(where + ": not a docker-archive (no manifest.json)");
    }
    byte[] manifestBytes;
    try (InputStream in = tree.open("manifest.json")) {
      manifestBytes = Json.readCapped(in, Json.MAX_MANIFEST_BYTES, where + ": manifest.json");
    }
    JsonNode manifest = Json.parse(manifestBytes, where + ": manifest.json");
    if (!manifest.isArray()) {
      throw new InvalidImageException(where + ": manifest.json must be a JSON array");
    }
    JsonNode entry = select(manifest);
    Image image = image(entry);
    return new ImageSource() {
      @Override
      public Image image() {
        return image;
      }

      @Override
      public void close() throws IOException {
        tree.close();
      }
    };
  }

  private JsonNode select(JsonNode manifest) throws IsulaException {
    List<String> candidates = new ArrayList<>();
    for (int i = 0; i < manifest.size(); i++) {
      List<String> tags = Json.textList(manifest.get(i), "RepoTags", where + ": manifest.json");
      candidates.add(
          where + ":@" + i + (tags.isEmpty() ? "" : " (" + String.join(", ", tags) + ")"));
    }
    if (manifest.isEmpty()) {
      throw new ImageNotFoundException(where + ": the archive holds no images", candidates);
    }
    int sourceIndex = ref.sourceIndex();
    if (sourceIndex >= 0) {
      if (sourceIndex >= manifest.size()) {
        throw new ImageNotFoundException(
            where
                + " holds "
                + manifest.size()
                + " image(s); there is no @"
                + sourceIndex
                + ": "
                + String.join(", ", candidates),
            candidates);
      }
      return manifest.get(sourceIndex);
    }
    if (ref.selector() == null) {
      if (manifest.size() == 1) {
        return manifest.get(0);
      }
      throw new ImageNotFoundException(
          where
              + " holds "
              + manifest.size()
              + " images; pick one: "
              + String.join(", ", candidates),
          candidates);
    }
    for (JsonNode e : manifest) {
      for (String tag : Json.textList(e, "RepoTags", where + ": manifest.json")) {
        if (ImageName.same(tag, ref.selector())) {
          return e;
        }
      }
    }
    throw new ImageNotFoundException(
        where
            + " has no image named '"
            + ref.selector()
            + "'; it holds: "
            + String.join(", ", candidates),
        candidates);
  }

  private Image image(JsonNode entry) throws IOException, IsulaException {
    String configName = Json.text(entry, "Config", where + ": manifest.json");
    byte[] configBytes;
    try (InputStream in = tree.open(configName)) {
      configBytes = Json.readCapped(in, Json.MAX_CONFIG_BYTES, where + ": " + configName);
    }
    Digest expected = nameDigest(configName);
    if (expected != null) {
      Digest actual =
          Digest.fromHash(expected.algorithm(), expected.newHasher().digest(configBytes));
      if (!actual.equals(expected)) {
        throw new DigestMismatchException(where + ": " + configName, expected, actual);
      }
    }
    Image.Builder b =
        Image.builder()
            .source(ref.selector() == null ? where : where + ":" + ref.selector())
            .names(Json.textList(entry, "RepoTags", where + ": manifest.json"))
            .config(configBytes, where + ": " + configName);
    List<Digest> diffIds =
        Image.diffIds(Json.parseObject(configBytes, where + ": " + configName), where);
    List<String> layerNames = Json.textList(entry, "Layers", where + ": manifest.json");
    if (layerNames.size() != diffIds.size()) {
      throw new InvalidImageException(
          where
              + ": manifest.json lists "
              + layerNames.size()
              + " layers but the config lists "
              + diffIds.size()
              + " diff_ids");
    }
    JsonNode sources = entry.get("LayerSources");
    for (int i = 0; i < layerNames.size(); i++) {
      String name = layerNames.get(i);
      Digest diffId = diffIds.get(i);
      Descriptor source = null;
      if (sources != null && sources.has(diffId.toString())) {
        source = Descriptor.parse(sources.get(diffId.toString()), where + ": LayerSources");
      }
      if (!tree.isFile(name)) {
        if (source != null) {
          throw new UnsupportedFormatException(
              where
                  + ": layer "
                  + (i + 1)
                  + " is a foreign layer ("
                  + source.mediaType()
                  + ") not included in the archive");
        }
        tree.blob(name); // throws the reason: missing, not a regular file, a loop of links
        throw new InvalidImageException(where + ": missing layer file " + name);
      }
      BlobSource blob = tree.blob(name);
      Digest blobDigest = nameDigest(name);
      long size = tree.size(name);
      String mediaType = MediaTypes.DOCKER_LAYER;
      if (source != null && blobDigest != null && source.digest().equals(blobDigest)) {
        mediaType = source.mediaType();
      }
      b.addLayer(new Layer(i, layerNames.size(), mediaType, blobDigest, size, diffId, blob));
    }
    return b.build();
  }

  /** The digest a content-addressed file name promises, or null for other names. */
  private static Digest nameDigest(String name) {
    Matcher m = BLOB_NAME.matcher(name);
    if (m.matches()) {
      return Digest.tryParse(m.group(1) + ":" + m.group(2));
    }
    Matcher c = CONFIG_NAME.matcher(name);
    if (c.matches()) {
      return Digest.tryParse("sha256:" + c.group(1));
    }
    return null;
  }
}
