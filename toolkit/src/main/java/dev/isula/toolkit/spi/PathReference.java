package dev.isula.toolkit.spi;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code PATH[:SELECTOR]} part of a file-based transport reference. If the whole text names an
 * existing file or directory it is taken as the path (so names containing ':' work); otherwise it
 * is split at the first ':', as skopeo does.
 */
public record PathReference(String path, String selector) {
  public static PathReference parse(String reference) {
    if (Files.exists(Path.of(reference))) {
      return new PathReference(reference, null);
    }
    int colon = reference.indexOf(':');
    if (colon < 0) {
      return new PathReference(reference, null);
    }
    String selector = reference.substring(colon + 1);
    return new PathReference(reference.substring(0, colon), selector.isEmpty() ? null : selector);
  }

  /** The source index of an {@code @N} selector, or -1 if the selector is not of that form. */
  public int sourceIndex() {
    if (selector != null && selector.matches("@[0-9]{1,9}")) {
      return Integer.parseInt(selector.substring(1));
    }
    return -1;
  }
}
