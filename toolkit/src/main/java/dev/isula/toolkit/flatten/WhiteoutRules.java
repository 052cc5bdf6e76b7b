package dev.isula.toolkit.flatten;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.tar.EntryNames;
import dev.isula.toolkit.tar.TarReader;

/**
 * The OCI image-spec whiteout conventions. {@code .wh.NAME} deletes NAME from lower layers; {@code
 * .wh..wh..opq} in a directory hides all of that directory's lower children; other {@code
 * .wh..wh.*} names are AUFS bookkeeping and are dropped. None of these ever reach the output.
 */
public final class WhiteoutRules {
  public static final String PREFIX = ".wh.";
  public static final String OPAQUE = ".wh..wh..opq";
  public static final String META_PREFIX = ".wh..wh.";

  /** What a layer entry means for the merge. */
  public enum Kind {
    /** An ordinary file, directory or link. */
    NORMAL,
    /** {@code .wh.NAME}: deletes NAME from lower layers. */
    WHITEOUT,
    /** {@code .wh..wh..opq}: hides the lower children of its directory. */
    OPAQUE,
    /** AUFS metadata ({@code .wh..wh.plnk} and what is under it): skipped. */
    METADATA
  }

  private WhiteoutRules() {}

  /**
   * Classifies a canonical entry name.
   *
   * @throws InvalidImageException for a bare {@code .wh.}, a whiteout of {@code .} or {@code ..},
   *     or a whiteout name used as a directory
   */
  public static Kind classify(String name) throws InvalidImageException {
    if (name.indexOf(PREFIX) < 0) {
      return Kind.NORMAL; // fast path: most names contain no ".wh." at all
    }
    String[] parts = name.split("/");
    for (int i = 0; i < parts.length - 1; i++) {
      if (parts[i].startsWith(META_PREFIX)) {
        return Kind.METADATA;
      }
      if (parts[i].startsWith(PREFIX)) {
        throw new InvalidImageException(
            "entry '" + TarReader.printable(name) + "': whiteout name used as a directory");
      }
    }
    String base = parts[parts.length - 1];
    if (base.equals(OPAQUE)) {
      return Kind.OPAQUE;
    }
    if (base.startsWith(META_PREFIX)) {
      return Kind.METADATA;
    }
    if (!base.startsWith(PREFIX)) {
      return Kind.NORMAL;
    }
    String target = base.substring(PREFIX.length());
    if (target.isEmpty()) {
      throw new InvalidImageException(
          "entry '" + TarReader.printable(name) + "': whiteout without a name ('.wh.')");
    }
    if (target.equals(".") || target.equals("..")) {
      throw new InvalidImageException(
          "entry '" + TarReader.printable(name) + "': whiteout of '" + target + "' is not allowed");
    }
    return Kind.WHITEOUT;
  }

  /** The path a {@link Kind#WHITEOUT} entry deletes. */
  public static String whiteoutTarget(String name) {
    String parent = EntryNames.parent(name);
    String target = EntryNames.baseName(name).substring(PREFIX.length());
    return parent.isEmpty() ? target : parent + "/" + target;
  }

  /** The directory an {@link Kind#OPAQUE} marker applies to ("" for the root). */
  public static String opaqueDirectory(String name) {
    return EntryNames.parent(name);
  }
}
