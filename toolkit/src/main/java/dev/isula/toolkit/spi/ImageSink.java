package dev.isula.toolkit.spi;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.Image;
import java.io.Closeable;
import java.io.IOException;

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

  /** Writes the image and commits it. A sink writes one image. */
  void write(Image image) throws IOException, IsulaException;

  /** Releases resources; discards anything not committed. */
  @Override
  void close() throws IOException;
}
