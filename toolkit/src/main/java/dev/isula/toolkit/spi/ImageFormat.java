package dev.isula.toolkit.spi;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import java.io.IOException;

/**
 * A container image format, found with {@link java.util.ServiceLoader}. Register an implementation
 * with {@code @AutoService(ImageFormat.class)} (or a {@code META-INF/services} entry); the core
 * never names concrete formats, so a plugin jar on the class path is all it takes to add one.
 *
 * <p>Implementations must be stateless and thread-safe; per-use state lives in the {@link
 * ImageSource} they return.
 */
public interface ImageFormat {
  /**
   * Stable kebab-case identifier, used as the transport prefix ({@code docker-archive:x.tar}). Two
   * providers with the same id are a packaging error and fail the registry.
   */
  String id();

  /** One line for {@code --help} and error messages. */
  String description();

  /**
   * Detection order for bare paths: higher goes first. Use it when one format's marker files are a
   * subset of another's (a Docker 25 docker-archive also contains an OCI layout).
   */
  default int priority() {
    return 0;
  }

  /** Cheap content check: does this path look like an image in this format? */
  boolean detect(Probe probe) throws IOException;

  /**
   * Opens an image.
   *
   * @param reference the transport-specific part after {@code id:} (e.g. {@code x.tar:name:tag})
   * @throws IsulaException if the reference is malformed, the image is missing or invalid
   */
  ImageSource open(String reference, ReadOptions options) throws IsulaException, IOException;

  /**
   * References (transport-specific parts, as for {@link #open}) to each image {@code reference}
   * holds: what {@code load} reads from an archive with several images. Default: just the one.
   */
  default java.util.List<String> list(String reference) throws IsulaException, IOException {
    return java.util.List.of(reference);
  }

  /**
   * True if this format takes {@code reference}, given without a transport and naming no existing
   * file, as its own: the local store takes image names ({@code busybox:1.36}).
   */
  default boolean acceptsBareName(String reference) {
    return false;
  }

  /** True if {@link #openSink} is implemented. */
  default boolean canWrite() {
    return false;
  }

  /**
   * Opens a destination to write one image to.
   *
   * @param reference the transport-specific part after {@code id:}
   * @throws UnsupportedFormatException if this format is read-only
   */
  default ImageSink openSink(String reference, WriteOptions options)
      throws IsulaException, IOException {
    throw new UnsupportedFormatException("the " + id() + " transport cannot be written to");
  }

  /** How to write a reference for this format, for help texts: {@code oci:DIR[:TAG]}. */
  default String syntax() {
    return id() + ":PATH";
  }
}
