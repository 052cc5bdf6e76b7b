package dev.isula.format.dir;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.LayerBlobs;
import dev.isula.toolkit.image.ManifestBuilder;
import dev.isula.toolkit.io.Trees;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one image as a {@code dir:} directory. Everything is written into a hidden sibling
 * directory first and renamed into place at the end; an existing {@code dir:} image at the path is
 * replaced only then (any other non-empty directory is refused).
 */
final class DirSink implements ImageSink {
  private final Path dir;
  private final WriteOptions options;

  DirSink(Path dir, WriteOptions options) {
    this.dir = dir.toAbsolutePath().normalize();
    this.options = options;
  }

  @Override
  public Compression layerCompression(Compression requested) {
    return DirFormat.compressionFor(requested);
  }

  @Override
  public void write(Image image) throws IOException, IsulaException {
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) {
        throw new UsageException(dir + " exists and is not a directory");
      }
      boolean empty;
      try (var s = Files.list(dir)) {
        empty = s.findAny().isEmpty();
      }
      if (!empty && !Files.isRegularFile(dir.resolve("version"))) {
        throw new UsageException(
            dir + " is not empty and not a dir: image; refusing to replace it");
      }
    }
    Files.createDirectories(dir.getParent());
    Path partial = Files.createTempDirectory(dir.getParent(), "." + dir.getFileName() + ".");
    boolean done = false;
    List<LayerBlobs.Prepared> layers = new ArrayList<>();
    try {
      for (Layer layer : image.layers()) {
        options.log().accept("writing " + layer.describe());
        LayerBlobs.Prepared p = LayerBlobs.prepare(layer, options.compression(), options.threads());
        layers.add(p);
        Path file = partial.resolve(p.digest().hex());
        if (!Files.exists(file)) {
          try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            p.copyTo(out);
          }
        }
      }
      byte[] config = image.configBytes();
      Files.write(partial.resolve(Digest.sha256(config).hex()), config);
      Files.write(partial.resolve("manifest.json"), ManifestBuilder.forImage(image, layers));
      Files.writeString(partial.resolve("version"), DirFormat.VERSION, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(
          partial, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      Path old = null;
      if (Files.exists(dir)) {
        old = Files.createTempDirectory(dir.getParent(), "." + dir.getFileName() + ".old.");
        Files.delete(old);
        Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
      if (old != null) {
        Trees.deleteRecursively(old);
      }
      done = true;
    } finally {
      for (LayerBlobs.Prepared p : layers) {
        p.close();
      }
      if (!done) {
        Trees.deleteRecursively(partial);
      }
    }
  }

  @Override
  public void close() {}
}
