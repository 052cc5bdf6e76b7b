package dev.isula.toolkit.api;

/**
 * An archive entry would escape its root or hide behind tricks: {@code ..}, absolute names, links
 * pointing outside, writes through symlinks. Such input is refused, never "fixed" silently.
 */
public final class UnsafeEntryException extends InvalidImageException {
  private static final long serialVersionUID = 1L;

  public UnsafeEntryException(String message) {
    super(message);
  }
}
