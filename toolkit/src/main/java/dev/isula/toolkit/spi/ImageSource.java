package dev.isula.toolkit.spi;

import dev.isula.toolkit.image.Image;
import java.io.Closeable;

/**
 * An opened image. Its layers can be read until the source is closed; whoever opened it closes it.
 */
public interface ImageSource extends Closeable {
  /** The selected image (one platform, one manifest). */
  Image image();
}
