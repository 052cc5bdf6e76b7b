package dev.isula.toolkit.spi;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.Image;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * A place an image is written to. {@link #write} puts the image in place atomically: until it
 * returns, nothing at the target has changed, and if it fails nothing partial is left behind.
 */
public interface ImageSink extends Closeable {
  /**
   * The compression this target stores layers in, given the one the user asked for (null: no
   * preference); e.g. a docker-archive always stores plain tar layers. Sources that must build
   * layers (an imported rootfs) build them in this compression so they are written without
   * re-compressing.
   */
  Compression layerCompression(Compression requested);

  /** Writes the image and commits it. A sink is used for one write. */
  void write(Image image) throws IOException, IsulaException;

  /**
   * Writes several images in one commit (e.g. {@code save} of several images into one archive,
   * shared layers stored once), each named by its own {@link Image#names()}.
   *
   * @throws UnsupportedFormatException if this destination holds a single image
   */
  default void writeAll(List<Image> images) throws IOException, IsulaException {
    if (images.size() != 1) {
      throw new UnsupportedFormatException("this destination holds a single image");
    }
    write(images.get(0));
  }

  /** Releases resources; discards anything not committed. */
  @Override
  void close() throws IOException;
}
