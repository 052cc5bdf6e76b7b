package dev.isula.format.oci;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ImageName;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageFormat;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.Probe;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.store.ImageStore;
import dev.isula.toolkit.store.ImageStores;
import dev.isula.toolkit.tar.TarReader;
import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code store:NAME} — and any bare image name that is not a file, like {@code busybox:1.36} or
 * {@code sha256:<id>} — refers to the local image store (see {@link ImageStores} for where it is).
 */
@AutoService(ImageFormat.class)
public final class StoreFormat implements ImageFormat {
  private static final Pattern ID = Pattern.compile("sha256:[0-9a-f]{3,64}|[0-9a-f]{3,64}");

  @Override
  public String id() {
    return "store";
  }

  @Override
  public String description() {
    return "the local image store (" + ImageStores.defaultRoot() + ")";
  }

  @Override
  public String syntax() {
    return "[store:]NAME[:TAG]|sha256:ID";
  }

  @Override
  public boolean detect(Probe probe) {
    return false;
  }

  @Override
  public boolean acceptsBareName(String reference) {
    return ImageName.isValid(reference) || ID.matcher(reference).matches();
  }

  @Override
  public ImageSource open(String reference, ReadOptions options)
      throws IsulaException, IOException {
    try {
      return ImageStores.open().open(reference, options);
    } catch (ImageNotFoundException e) {
      int colon = reference.indexOf(':');
      if (colon > 0 && !reference.startsWith("sha256:") && reference.indexOf('/') < 0) {
        // "dir:x" reads as an image name, but was probably meant as a transport
        throw new ImageNotFoundException(
            e.getMessage()
                + "; if '"
                + reference.substring(0, colon)
                + "' is a transport, its plugin is not installed (known transports: "
                + FormatRegistry.load().knownIds()
                + ")",
            e.candidates());
      }
      throw e;
    }
  }

  /**
   * The image's own names, which come from its source (an archive's RepoTags, an OCI ref.name): an
   * invalid one is bad input, not bad usage.
   */
  static List<String> validNames(Image image) throws InvalidImageException {
    for (String name : image.names()) {
      if (!ImageName.isValid(name)) {
        throw new InvalidImageException(
            image.source() + ": invalid image name '" + TarReader.printable(name) + "' in it");
      }
    }
    return image.names();
  }

  @Override
  public boolean canWrite() {
    return true;
  }

  @Override
  public ImageSink openSink(String reference, WriteOptions options) throws IOException {
    ImageStore store;
    try {
      store = ImageStores.open();
    } catch (IsulaException e) {
      throw new IOException(e.getMessage(), e);
    }
    return new ImageSink() {
      @Override
      public Compression layerCompression(Compression requested) {
        return requested == null ? Compression.GZIP : requested;
      }

      @Override
      public void write(Image image) throws IOException, IsulaException {
        List<String> names =
            !reference.isEmpty()
                ? List.of(reference)
                : options.name() != null ? List.of(options.name()) : validNames(image);
        store.put(image, names, options);
      }

      @Override
      public void writeAll(List<Image> images) throws IOException, IsulaException {
        for (Image image : images) {
          store.put(image, validNames(image), options);
        }
      }

      @Override
      public void close() {}
    };
  }
}
