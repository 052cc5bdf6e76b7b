package dev.isula.format.dir;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.service.AutoService;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.blob.FileRange;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Descriptor;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ManifestResolver;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageFormat;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.Probe;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code dir:PATH}: skopeo's directory transport — {@code manifest.json} (the image manifest as
 * is), every blob in a file named by its digest's hex, and a {@code version} file. Reading picks
 * the platform from a manifest list ({@code <hex>.manifest.json} per instance, as skopeo writes
 * with {@code --all}); writing stores one image.
 */
@AutoService(ImageFormat.class)
public final class DirFormat implements ImageFormat {
  static final String VERSION = "Directory Transport Version: 1.1\n";

  @Override
  public String id() {
    return "dir";
  }

  @Override
  public String description() {
    return "skopeo's dir: transport (manifest.json + blobs named by digest)";
  }

  @Override
  public String syntax() {
    return "dir:PATH";
  }

  @Override
  public boolean detect(Probe probe) {
    Path p = probe.path();
    return probe.isDirectory()
        && Files.isRegularFile(p.resolve("manifest.json"))
        && Files.isRegularFile(p.resolve("version"));
  }

  @Override
  public ImageSource open(String reference, ReadOptions options)
      throws IsulaException, IOException {
    Path dir = Path.of(reference);
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(reference, null, "not a directory");
    }
    String where = "dir:" + reference;
    if (!Files.isRegularFile(dir.resolve("version"))) {
      throw new InvalidImageException(where + ": not a dir: image (no version file)");
    }
    String version = Files.readString(dir.resolve("version"));
    if (!version.startsWith("Directory Transport Version: 1.")) {
      throw new InvalidImageException(where + ": unsupported version '" + version.strip() + "'");
    }
    byte[] manifest;
    try (InputStream in = Files.newInputStream(dir.resolve("manifest.json"))) {
      manifest = Json.readCapped(in, Json.MAX_MANIFEST_BYTES, where + ": manifest.json");
    }
    Digest manifestDigest = Digest.sha256(manifest);
    ObjectNode doc = Json.parseObject(manifest, where + ": manifest.json");
    String mediaType = Json.optText(doc, "mediaType");
    if (mediaType == null) {
      mediaType = doc.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }
    ManifestResolver.Blobs blobs =
        d -> {
          Path file =
              d.equals(manifestDigest)
                  ? dir.resolve("manifest.json")
                  : Files.isRegularFile(dir.resolve(d.hex() + ".manifest.json"))
                      ? dir.resolve(d.hex() + ".manifest.json")
                      : dir.resolve(d.hex());
          if (!Files.isRegularFile(file)) {
            throw new InvalidImageException(where + ": missing blob " + d);
          }
          try {
            return BlobSource.of(new FileRange(file, 0, Files.size(file)));
          } catch (IOException e) {
            throw new InvalidImageException(
                where + ": cannot read " + file + ": " + e.getMessage());
          }
        };
    Image image =
        new ManifestResolver(blobs, where)
            .resolve(
                Descriptor.of(mediaType, manifestDigest, manifest.length),
                options.platform(),
                List.of());
    return new ImageSource() {
      @Override
      public Image image() {
        return image;
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public boolean canWrite() {
    return true;
  }

  @Override
  public ImageSink openSink(String reference, WriteOptions options) throws IsulaException {
    if (reference.isEmpty()) {
      throw new UsageException("dir: missing directory");
    }
    return new DirSink(Path.of(reference), options);
  }

  /** The compression a {@code dir:} destination stores: what was asked, else each layer's own. */
  static Compression compressionFor(Compression requested) {
    return requested == null ? Compression.GZIP : requested;
  }
}
