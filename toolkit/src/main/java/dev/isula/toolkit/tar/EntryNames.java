package dev.isula.toolkit.tar;

import dev.isula.toolkit.api.UnsafeEntryException;

/**
 * Canonical entry names. {@code ./a}, {@code a/}, {@code a//b} and {@code a/./b} all name the same
 * file and must compare equal; {@code ..} components and absolute names are refused because no
 * layer of a well-formed image needs them and they are the classic way out of an extraction root.
 */
public final class EntryNames {
  private EntryNames() {}

  /**
   * The canonical form: components joined by {@code /}, no leading {@code ./}, no trailing slash;
   * the root itself is the empty string.
   *
   * @throws UnsafeEntryException for absolute names, {@code ..} components, empty names
   */
  public static String normalize(String raw) throws UnsafeEntryException {
    if (raw.isEmpty()) {
      throw new UnsafeEntryException("entry with an empty name");
    }
    if (raw.charAt(0) == '/') {
      throw new UnsafeEntryException(
          "entry '" + TarReader.printable(raw) + "': absolute names are not allowed");
    }
    StringBuilder sb = new StringBuilder(raw.length());
    int i = 0;
    int n = raw.length();
    while (i < n) {
      int j = raw.indexOf('/', i);
      if (j < 0) {
        j = n;
      }
      int len = j - i;
      if (len == 0 || (len == 1 && raw.charAt(i) == '.')) {
        // skip empty and "." components
      } else if (len == 2 && raw.charAt(i) == '.' && raw.charAt(i + 1) == '.') {
        throw new UnsafeEntryException(
            "entry '" + TarReader.printable(raw) + "': '..' components are not allowed");
      } else {
        if (sb.length() > 0) {
          sb.append('/');
        }
        sb.append(raw, i, j);
      }
      i = j + 1;
    }
    return sb.toString();
  }

  /** The parent of a canonical name; the root's children have parent "". */
  public static String parent(String name) {
    int slash = name.lastIndexOf('/');
    return slash < 0 ? "" : name.substring(0, slash);
  }

  /** The last component of a canonical name. */
  public static String baseName(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  /**
   * Resolves a hardlink target, which tar stores relative to the archive root, to canonical form.
   *
   * @throws UnsafeEntryException if it is absolute-and-escaping or climbs above the root
   */
  public static String normalizeLinkTarget(String entryName, String target)
      throws UnsafeEntryException {
    String t = target;
    while (t.startsWith("/")) {
      t = t.substring(1); // some writers store hardlink targets with a leading slash
    }
    if (t.isEmpty()) {
      throw new UnsafeEntryException(
          "hardlink '" + TarReader.printable(entryName) + "' has an empty target");
    }
    try {
      return normalize(t);
    } catch (UnsafeEntryException e) {
      throw new UnsafeEntryException(
          "hardlink '"
              + TarReader.printable(entryName)
              + "' points outside the archive: '"
              + TarReader.printable(target)
              + "'");
    }
  }
}
