package dev.isula.toolkit.store;

import java.io.IOException;
import java.nio.file.Path;

/** Service interface of image store implementations (one is expected on the class path). */
public interface ImageStoreProvider {
  /** Opens (creating it if needed) the store at {@code root}. */
  ImageStore open(Path root) throws IOException;
}
