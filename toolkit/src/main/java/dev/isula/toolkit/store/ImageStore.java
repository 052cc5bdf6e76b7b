package dev.isula.toolkit.store;

import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The local image store: images kept by name without a daemon, like isula-build's or docker's.
 * Every mutation is atomic and guarded by a lock, so concurrent processes never lose an image or
 * corrupt the store, and an interrupted one leaves it readable. Implementations are found with
 * {@link java.util.ServiceLoader} through {@link ImageStoreProvider}; see {@link ImageStores}.
 *
 * <p>Images are referred to by name ({@code busybox}, {@code busybox:1.36}, {@code
 * example.org/ns/app:1}, normalised as docker does) or by id ({@code sha256:<config digest>} or a
 * unique prefix of its hex).
 */
public interface ImageStore {
  Path root();

  /** Every image, once per image (with all its names), newest first. */
  List<StoredImage> list() throws IOException, IsulaException;

  /**
   * The image a name or id refers to.
   *
   * @throws ImageNotFoundException if none does, or an id prefix is ambiguous
   */
  StoredImage resolve(String nameOrId) throws IOException, IsulaException;

  /** Opens a stored image for reading; it cannot be pruned away while open. */
  ImageSource open(String nameOrId, ReadOptions options) throws IOException, IsulaException;

  /**
   * Adds an image under {@code names} (may be empty: an untagged image), taking the names from any
   * image that had them.
   *
   * @return what was stored
   */
  StoredImage put(Image image, List<String> names, WriteOptions options)
      throws IOException, IsulaException;

  /** Gives the image {@code source} refers to the additional name {@code target}. */
  StoredImage tag(String source, String target) throws IOException, IsulaException;

  /**
   * Removes a name, or, given an id, the image with all its names. Blobs stay until {@link
   * #prune()}.
   *
   * @return the names removed (or the id, for an untagged image)
   */
  List<String> remove(String nameOrId) throws IOException, IsulaException;

  /** Deletes blobs no image refers to and leftovers of interrupted writes. */
  PruneResult prune() throws IOException, IsulaException;

  /** What {@link #prune()} removed. */
  record PruneResult(int blobs, long bytes, int leftovers) {}

  /** The stored manifest and config of an image, as bytes. */
  byte[] manifest(StoredImage image) throws IOException, IsulaException;

  byte[] config(StoredImage image) throws IOException, IsulaException;
}
