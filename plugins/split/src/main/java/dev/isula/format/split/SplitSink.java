package dev.isula.format.split;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.flatten.LayerFlattener;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.hash.DigestingOutputStream;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ImageName;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.io.AtomicOutputFile;
import dev.isula.toolkit.io.NamedOutputStream;
import dev.isula.toolkit.io.Trees;
import dev.isula.toolkit.rootfs.DirectoryRootfsReader;
import dev.isula.toolkit.rootfs.DirectoryRootfsWriter;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.tar.EntrySink;
import dev.isula.toolkit.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes {@code OUTDIR/empty.tar} (the image spec with one empty layer, a docker-archive) and the
 * expanded root filesystem beside it, {@code OUTDIR/rootfs/} or {@code OUTDIR/rootfs.tar}. The
 * rootfs is built under a temporary name and renamed last; if anything fails, nothing stays (and an
 * OUTDIR this sink created is removed).
 *
 * <p>Properties: {@code rootfs-format} ({@code dir} or {@code tar}); {@code tag}, the name
 * empty.tar carries instead of the image's own (which the split record keeps for {@code import
 * --rootfs}).
 */
final class SplitSink implements ImageSink {
  static final String EMPTY_TAR = "empty.tar";

  private final Path outDir;
  private final WriteOptions options;

  SplitSink(Path outDir, WriteOptions options) {
    this.outDir = outDir;
    this.options = options;
  }

  @Override
  public Compression layerCompression(Compression requested) {
    return Compression.NONE;
  }

  private record Rootfs(Path written, Digest diffId, long tarSize) {}

  @Override
  public void write(Image image) throws IOException, IsulaException {
    String tag = options.property("tag");
    if (tag != null && (!ImageName.isValid(tag) || tag.contains("@"))) {
      throw new UsageException(
          "--tag: invalid image name '"
              + tag
              + "' (expected [HOST[:PORT]/]PATH[:TAG], lowercase, no digest)");
    }
    String format =
        options.property("rootfs-format") == null ? "dir" : options.property("rootfs-format");
    if (!format.equals("dir") && !format.equals("tar")) {
      throw new UsageException("--rootfs-format must be dir or tar, not '" + format + "'");
    }
    boolean created = false;
    if (Files.exists(outDir)) {
      if (!Files.isDirectory(outDir)) {
        throw new UsageException(outDir + " exists and is not a directory");
      }
      try (var s = Files.list(outDir)) {
        if (s.findAny().isPresent()) {
          throw new UsageException(outDir + " is not empty; give a new or empty directory");
        }
      }
    } else {
      Files.createDirectories(outDir);
      created = true;
    }
    Path finalRootfs = outDir.resolve(format.equals("dir") ? "rootfs" : "rootfs.tar");
    Rootfs rootfs = null;
    boolean done = false;
    boolean createdDir = created;
    // on Ctrl-C or SIGTERM, leave nothing behind either (kill -9 cannot be caught)
    Thread hook = new Thread(() -> discard(createdDir));
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      rootfs = format.equals("dir") ? writeDirectory(image) : writeTar(image);
      SplitRecord record =
          new SplitRecord(
              format,
              finalRootfs.getFileName().toString(),
              rootfs.diffId(),
              rootfs.tarSize(),
              recordedNames(image),
              image.configDigest(),
              image.layers().stream().map(Layer::diffId).toList());
      writeEmptyImage(image, record);
      Files.move(rootfs.written(), finalRootfs, StandardCopyOption.ATOMIC_MOVE);
      done = true;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running and cleans up
      }
      if (!done) {
        discard(created);
      }
    }
  }

  /**
   * The image's names as the record keeps them, in the short form docker prints, so that the same
   * image named the same way gives the same record whichever format it was read from.
   */
  private static List<String> recordedNames(Image image) {
    List<String> out = new ArrayList<>();
    for (String n : image.names()) {
      String f = ImageName.isValid(n) ? ImageName.familiar(n) : n;
      if (!out.contains(f)) {
        out.add(f);
      }
    }
    return out;
  }

  /** Removes everything this sink may have written. */
  private void discard(boolean createdDir) {
    try {
      Trees.deleteRecursively(outDir.resolve(".rootfs.partial"));
      Trees.deleteRecursively(outDir.resolve(".rootfs.tar.partial"));
      Files.deleteIfExists(outDir.resolve(EMPTY_TAR));
      if (createdDir) {
        Trees.deleteRecursively(outDir);
      }
    } catch (IOException e) {
      options.log().accept("warning: could not clean up " + outDir + ": " + e.getMessage());
    }
  }

  private Rootfs writeDirectory(Image image) throws IOException, IsulaException {
    Path partial = outDir.resolve(".rootfs.partial");
    LayerFlattener.create(options.threads(), options.log())
        .flatten(
            image.layers(),
            new LayerFlattener.Output() {
              @Override
              public EntrySink open() throws IOException {
                Files.createDirectory(partial);
                return DirectoryRootfsWriter.create(partial, line -> options.log().accept(line));
              }

              @Override
              public void discard() throws IOException {
                Trees.deleteRecursively(partial);
              }
            });
    // the DiffID import will compute when it turns this directory back into a layer
    DigestingOutputStream digest = new DigestingOutputStream(OutputStream.nullOutputStream());
    TarWriter tar = new TarWriter(digest);
    DirectoryRootfsReader.write(partial, tar, s -> {});
    tar.finish();
    return new Rootfs(partial, digest.digest(), digest.count());
  }

  private Rootfs writeTar(Image image) throws IOException, IsulaException {
    Path partial = outDir.resolve(".rootfs.tar.partial");
    try (AtomicOutputFile out = AtomicOutputFile.create(partial)) {
      DigestingOutputStream[] current = new DigestingOutputStream[1];
      LayerFlattener.create(options.threads(), options.log())
          .flatten(
              image.layers(),
              new LayerFlattener.Output() {
                @Override
                public EntrySink open() {
                  current[0] =
                      new DigestingOutputStream(NamedOutputStream.of(out.stream(), partial));
                  return new TarWriter(current[0]);
                }

                @Override
                public void discard() throws IOException {
                  out.rewind();
                }
              });
      DigestingOutputStream digest = current[0];
      digest.flush();
      try {
        out.commit();
      } catch (IOException e) {
        throw NamedOutputStream.named(e, partial);
      }
      return new Rootfs(partial, digest.digest(), digest.count());
    }
  }

  private void writeEmptyImage(Image image, SplitRecord record) throws IOException, IsulaException {
    String tag = options.property("tag");
    byte[] config = SplitConfigs.emptyConfig(image.config(), options.log());
    byte[] layer = SplitConfigs.EMPTY_LAYER;
    Image empty =
        Image.builder()
            .source(image.source() + " (empty)")
            .names(tag == null ? image.names() : List.of(tag))
            .config(config, "empty config")
            .addLayer(
                new Layer(
                    0,
                    1,
                    MediaTypes.DOCKER_LAYER,
                    SplitConfigs.EMPTY_LAYER_DIFF_ID,
                    layer.length,
                    SplitConfigs.EMPTY_LAYER_DIFF_ID,
                    (BlobSource) () -> new ByteArrayInputStream(layer)))
            .build();
    WriteOptions archive =
        WriteOptions.builder()
            .compression(Compression.NONE)
            .threads(options.threads())
            .log(options.log())
            .extraFile(SplitRecord.FILE, record.toJson())
            .build();
    try (ImageSink sink =
        FormatRegistry.load().openSink("docker-archive:" + outDir.resolve(EMPTY_TAR), archive)) {
      sink.write(empty);
    }
  }

  @Override
  public void close() {}
}
