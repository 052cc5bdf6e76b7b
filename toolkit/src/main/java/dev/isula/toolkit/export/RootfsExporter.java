package dev.isula.toolkit.export;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.flatten.LayerFlattener;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.io.AtomicOutputFile;
import dev.isula.toolkit.tar.TarWriter;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Writes an image's flattened root filesystem as one tarball, optionally compressed. Files are
 * written atomically (temporary file, rename on success); a stream gets the bytes as they are
 * produced, and a failure midway is reported by the exception only.
 */
public final class RootfsExporter {
  private final Compression compression;
  private final int threads;
  private final Consumer<String> log;

  private RootfsExporter(Compression compression, int threads, Consumer<String> log) {
    this.compression = compression;
    this.threads = threads;
    this.log = log == null ? s -> {} : log;
  }

  /**
   * @param compression of the output tarball
   * @param threads cores to use for decompressing layers and compressing the output
   * @param log progress lines (may be null)
   */
  public static RootfsExporter create(Compression compression, int threads, Consumer<String> log) {
    return new RootfsExporter(compression, threads, log);
  }

  /** Exports with no compression on all cores, silently. */
  public static RootfsExporter create() {
    return create(Compression.NONE, Runtime.getRuntime().availableProcessors(), null);
  }

  /**
   * Writes the rootfs of {@code image} to {@code file}, replacing it only on success.
   *
   * @return entries written
   * @throws IsulaException if the image is invalid; {@code file} is then left untouched
   */
  public long exportTo(Image image, Path file) throws IOException, IsulaException {
    try (AtomicOutputFile out = AtomicOutputFile.create(file)) {
      long n = exportTo(image, out.stream());
      out.commit();
      return n;
    }
  }

  /**
   * Writes the rootfs of {@code image} to {@code stream}, which is flushed but not closed.
   *
   * @return entries written
   */
  public long exportTo(Image image, OutputStream stream) throws IOException, IsulaException {
    OutputStream shield =
        new FilterOutputStream(stream) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
          }

          @Override
          public void close() throws IOException {
            out.flush();
          }
        };
    OutputStream compressed =
        compression.compress(new BufferedOutputStream(shield, 1 << 20), -1, threads);
    OutputStream buffered =
        compression == Compression.NONE
            ? compressed
            : new BufferedOutputStream(compressed, 1 << 20);
    TarWriter writer = new TarWriter(buffered);
    long n = LayerFlattener.create(threads, log).flatten(image.layers(), writer);
    writer.close();
    return n;
  }
}
