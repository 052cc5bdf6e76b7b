package dev.isula.format.oci;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.store.ImageStore;
import dev.isula.toolkit.store.ImageStoreProvider;
import java.io.IOException;
import java.nio.file.Path;

/** The local store, kept as an OCI image layout. */
@AutoService(ImageStoreProvider.class)
public final class OciStoreProvider implements ImageStoreProvider {
  @Override
  public ImageStore open(Path root) throws IOException {
    return new OciImageStore(root);
  }
}
