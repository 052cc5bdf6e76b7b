package dev.isula.format.split;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.archive.FileTree;
import dev.isula.toolkit.blob.TempBlob;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.rootfs.RootfsLayers;
import dev.isula.toolkit.spi.FormatRegistry;
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

/**
 * {@code split:OUTDIR}: an image kept as {@code empty.tar} (its spec, with one empty layer) plus
 * its expanded root filesystem, for {@code isula run --external-rootfs}. Writing is {@code export
 * --split}; reading ({@code import --rootfs}) puts the rootfs back as the image's single layer,
 * after checking it is the rootfs the empty image was split from.
 *
 * <p>Read properties: {@code rootfs} (the rootfs to use instead of the one next to empty.tar),
 * {@code no-verify} ("true" to skip the check). Write property: {@code rootfs-format} ({@code dir}
 * or {@code tar}).
 */
@AutoService(ImageFormat.class)
public final class SplitFormat implements ImageFormat {
  @Override
  public String id() {
    return "split";
  }

  @Override
  public String description() {
    return "empty.tar (image spec only) plus the expanded rootfs beside it";
  }

  @Override
  public String syntax() {
    return "split:OUTDIR|EMPTY.tar";
  }

  @Override
  public boolean detect(Probe probe) throws IOException {
    return probe.isDirectory() && Files.isRegularFile(probe.path().resolve(SplitSink.EMPTY_TAR));
  }

  @Override
  public boolean canWrite() {
    return true;
  }

  @Override
  public ImageSink openSink(String reference, WriteOptions options) throws UsageException {
    if (reference.isEmpty()) {
      throw new UsageException("split: missing output directory");
    }
    return new SplitSink(Path.of(reference), options);
  }

  @Override
  public ImageSource open(String reference, ReadOptions options)
      throws IsulaException, IOException {
    Path given = Path.of(reference);
    if (!Files.exists(given)) {
      throw new NoSuchFileException(reference);
    }
    Path emptyTar = Files.isDirectory(given) ? given.resolve(SplitSink.EMPTY_TAR) : given;
    if (!Files.isRegularFile(emptyTar)) {
      throw new InvalidImageException(reference + ": no " + SplitSink.EMPTY_TAR + " here");
    }
    boolean verify = !"true".equals(options.property("no-verify"));
    SplitRecord record = readRecord(emptyTar, verify);
    String rootfs = options.property("rootfs");
    if (rootfs == null) {
      if (record == null) {
        throw new UsageException(emptyTar + ": give the rootfs to put back (--rootfs)");
      }
      rootfs = emptyTar.resolveSibling(record.rootfsPath()).toString();
    }
    Image empty;
    try (ImageSource s =
        FormatRegistry.load().require("docker-archive").open(emptyTar.toString(), options)) {
      empty = s.image();
    }
    options.log().accept("reading rootfs " + rootfs);
    TempBlob blob =
        RootfsLayers.build(
            rootfs,
            options.layerCompression(),
            options.threads(),
            options.log(),
            options.progress());
    try {
      if (verify && !blob.diffId().equals(record.rootfsDiffId())) {
        throw new InvalidImageException(
            rootfs
                + " is not the rootfs "
                + emptyTar
                + " was split from (its tar digest is "
                + blob.diffId()
                + ", expected "
                + record.rootfsDiffId()
                + "); it changed since the split, or belongs to another image. Use --no-verify to"
                + " import it anyway");
      }
      Digest diffId = blob.diffId();
      byte[] config = SplitConfigs.restoredConfig(empty.config(), diffId);
      String source = "split:" + emptyTar + " + " + rootfs;
      Image image =
          Image.builder()
              .source(source)
              .names(
                  record != null && record.sourceNames() != null
                      ? record.sourceNames()
                      : empty.names())
              .config(config, source + ": config")
              .addLayer(
                  new Layer(
                      0, 1, mediaType(blob), blob.digest(), blob.size(), diffId, blob.source()))
              .build();
      return new ImageSource() {
        @Override
        public Image image() {
          return image;
        }

        @Override
        public void close() throws IOException {
          blob.close();
        }
      };
    } catch (IsulaException | RuntimeException e) {
      blob.close();
      throw e;
    }
  }

  private static String mediaType(TempBlob blob) {
    return switch (blob.compression()) {
      case NONE -> MediaTypes.OCI_LAYER;
      case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
      default -> MediaTypes.OCI_LAYER_GZIP;
    };
  }

  private static SplitRecord readRecord(Path emptyTar, boolean required)
      throws IOException, IsulaException {
    try (FileTree tree = FileTree.open(emptyTar)) {
      if (!tree.isFile(SplitRecord.FILE)) {
        if (required) {
          throw new InvalidImageException(
              emptyTar
                  + " was not written by export --split (no "
                  + SplitRecord.FILE
                  + "); use --no-verify to import with it anyway");
        }
        return null;
      }
      try (InputStream in = tree.open(SplitRecord.FILE)) {
        return SplitRecord.parse(
            Json.readCapped(in, Json.MAX_MANIFEST_BYTES, emptyTar + ": " + SplitRecord.FILE),
            emptyTar + ": " + SplitRecord.FILE);
      }
    }
  }
}
