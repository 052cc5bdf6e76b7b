package dev.isula.format.containersstorage;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.spi.ImageFormat;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.Probe;
import dev.isula.toolkit.spi.ReadOptions;
import java.io.IOException;

/**
 * {@code containers-storage:[DRIVER@GRAPHROOT+RUNROOT:OPTIONS]NAME[:TAG]|ID|ID-PREFIX}: an image in
 * a containers/storage graph root — podman's, buildah's, isula-build's, CRI-O's — or in iSulad's
 * store of the same family, read in place without a daemon and without writing anything. skopeo's
 * syntax, kept exactly; without the bracket part the store comes from {@code storage.conf} (see
 * {@link StorageConf}).
 *
 * <p>Each layer's tar is rebuilt byte for byte from its tar-split file and the layer's directory
 * and checked against the DiffID the store records, so converting the image elsewhere gives back
 * the DiffIDs podman shows; see {@link TarSplitStream}, and {@link LayerDirTar} for layers that
 * have no usable tar-split file.
 */
@AutoService(ImageFormat.class)
public final class ContainersStorageFormat implements ImageFormat {
  @Override
  public String id() {
    return "containers-storage";
  }

  @Override
  public String description() {
    return "an image in a podman/buildah/isula-build (containers/storage) or iSulad store,"
        + " read-only";
  }

  @Override
  public String syntax() {
    return "containers-storage:[DRIVER@GRAPHROOT+RUNROOT:OPTIONS]NAME[:TAG]|ID|ID-PREFIX";
  }

  /** Never detected from a bare path: a graph root is named with the transport. */
  @Override
  public boolean detect(Probe probe) {
    return false;
  }

  @Override
  public ImageSource open(String reference, ReadOptions options)
      throws IsulaException, IOException {
    return StoreImageSource.open(StoreReference.parse(reference), options);
  }
}
