package dev.isula.toolkit.export;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.flatten.LayerFlattener;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.io.AtomicOutputFile;
import dev.isula.toolkit.tar.EntrySink;
import dev.isula.toolkit.tar.TarWriter;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
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
      long n = exportTo(image, out.stream(), out::rewind);
      out.commit();
      return n;
    }
  }

  /**
   * Writes the rootfs of {@code image} to {@code stream}, which is flushed but not closed. A stream
   * cannot be taken back, so a path the bottom layer holds twice is written twice (see {@link
   * LayerFlattener#flatten(List, EntrySink)}).
   *
   * @return entries written
   */
  public long exportTo(Image image, OutputStream stream) throws IOException, IsulaException {
    return exportTo(image, stream, null);
  }

  /** Empties the output that a stream writes to, so that it can be written again from the start. */
  @FunctionalInterface
  public interface Rewind {
    void rewind() throws IOException;
  }

  /**
   * As {@link #exportTo(Image, OutputStream)}; if {@code rewind} is not null, the output may be
   * emptied with it and written again, and every path is written once.
   *
   * @return entries written
   */
  public long exportTo(Image image, OutputStream stream, Rewind rewind)
      throws IOException, IsulaException {
    if (rewind == null) {
      Attempt only = new Attempt(stream);
      long n = LayerFlattener.create(threads, log).flatten(image.layers(), only.writer);
      only.writer.close();
      return n;
    }
    Attempt[] current = new Attempt[1];
    long n =
        LayerFlattener.create(threads, log)
            .flatten(
                image.layers(),
                new LayerFlattener.Output() {
                  @Override
                  public EntrySink open() throws IOException {
                    current[0] = new Attempt(stream);
                    return current[0].writer;
                  }

                  @Override
                  public void discard() throws IOException {
                    current[0].abandon();
                    rewind.rewind();
                  }
                });
    current[0].writer.close();
    return n;
  }

  /** One pass of writing: the tar writer over the compressor over a shield of the stream. */
  private final class Attempt {
    private final Shield shield;
    final TarWriter writer;

    Attempt(OutputStream stream) throws IOException {
      shield = new Shield(stream);
      OutputStream compressed =
          compression.compress(new BufferedOutputStream(shield, 1 << 20), -1, threads);
      OutputStream buffered =
          compression == Compression.NONE
              ? compressed
              : new BufferedOutputStream(compressed, 1 << 20);
      writer = new TarWriter(buffered);
    }

    /** Stops the compressor's threads; nothing more of this pass reaches the stream. */
    void abandon() {
      shield.dropped = true;
      try {
        writer.close();
      } catch (IOException ignored) {
        // the bytes are thrown away anyway
      }
    }
  }

  /** Passes writes on, flushes instead of closing, and drops everything once abandoned. */
  private static final class Shield extends FilterOutputStream {
    volatile boolean dropped;

    Shield(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      if (!dropped) {
        out.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (!dropped) {
        out.write(b, off, len);
      }
    }

    @Override
    public void flush() throws IOException {
      if (!dropped) {
        out.flush();
      }
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
