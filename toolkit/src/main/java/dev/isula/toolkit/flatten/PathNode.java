package dev.isula.toolkit.flatten;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * One path of the merged tree. It records where upper layers mention the path (occurrences), which
 * layers hide it or its children (whiteouts, opaque markers, non-directories), and what has been
 * emitted for it so far.
 */
final class PathNode {
  final PathNode parent;
  final String path;
  private Map<String, PathNode> children;

  /** Upper-layer occurrences packed as (layer << 32 | entry index), in ascending order. */
  private long[] occurrences;

  private int occurrenceCount;

  /** Layers whose whiteout deletes this path. */
  private BitSet selfHide;

  /** Layers that hide this path's lower children (whiteout, opaque marker, non-directory). */
  private BitSet childHide;

  /** Some upper-layer winner lies below this path. */
  boolean upperWinnerBelow;

  boolean emitted;
  boolean emittedDirectory;

  /** The bottom layer's latest entry at this path, as an inode (for hardlink resolution). */
  Inode bottomInode;

  /** The bottom layer has a directory at this path (which a hardlink must not point to). */
  boolean bottomDirectory;

  PathNode(PathNode parent, String path) {
    this.parent = parent;
    this.path = path;
  }

  PathNode child(String name, boolean create) {
    if (children == null) {
      if (!create) {
        return null;
      }
      children = new HashMap<>(4);
    }
    PathNode c = children.get(name);
    if (c == null && create) {
      c = new PathNode(this, path.isEmpty() ? name : path + "/" + name);
      children.put(name, c);
    }
    return c;
  }

  void addOccurrence(int layer, int index) {
    long packed = ((long) layer << 32) | (index & 0xffffffffL);
    if (occurrences == null) {
      occurrences = new long[1];
    } else if (occurrenceCount == occurrences.length) {
      occurrences = java.util.Arrays.copyOf(occurrences, occurrenceCount * 2);
    }
    occurrences[occurrenceCount++] = packed;
  }

  boolean hasOccurrences() {
    return occurrenceCount > 0;
  }

  /** The last occurrence (highest layer, latest entry), or -1. */
  long topOccurrence() {
    return occurrenceCount == 0 ? -1 : occurrences[occurrenceCount - 1];
  }

  /** The last occurrence in {@code layer} with an entry index below {@code before}, or -1. */
  long lastOccurrence(int layer, int before) {
    for (int i = occurrenceCount - 1; i >= 0; i--) {
      long o = occurrences[i];
      int l = layerOf(o);
      if (l == layer && indexOf(o) < before) {
        return o;
      }
      if (l < layer) {
        break;
      }
    }
    return -1;
  }

  /** The last occurrence in any layer strictly below {@code layer}, or -1. */
  long lastOccurrenceBelow(int layer) {
    for (int i = occurrenceCount - 1; i >= 0; i--) {
      if (layerOf(occurrences[i]) < layer) {
        return occurrences[i];
      }
    }
    return -1;
  }

  static int layerOf(long occurrence) {
    return (int) (occurrence >>> 32);
  }

  static int indexOf(long occurrence) {
    return (int) occurrence;
  }

  void hideSelf(int layer) {
    if (selfHide == null) {
      selfHide = new BitSet();
    }
    selfHide.set(layer);
  }

  void hideChildren(int layer) {
    if (childHide == null) {
      childHide = new BitSet();
    }
    childHide.set(layer);
  }

  /** True if an entry of {@code layer} at this path is hidden by a layer above it. */
  boolean hiddenFor(int layer) {
    if (selfHide != null && selfHide.length() - 1 > layer) {
      return true;
    }
    for (PathNode a = parent; a != null; a = a.parent) {
      if (a.childHide != null && a.childHide.length() - 1 > layer) {
        return true;
      }
    }
    return false;
  }

  /** True if a layer strictly between {@code low} and {@code high} hides this path's children. */
  boolean childHiddenBetween(int low, int high) {
    return anyBetween(childHide, low, high);
  }

  /** True if a layer strictly between {@code low} and {@code high} hides this path. */
  boolean hiddenBetween(int low, int high) {
    if (anyBetween(selfHide, low, high)) {
      return true;
    }
    for (PathNode a = parent; a != null; a = a.parent) {
      if (anyBetween(a.childHide, low, high)) {
        return true;
      }
    }
    return false;
  }

  private static boolean anyBetween(BitSet bits, int low, int high) {
    if (bits == null) {
      return false;
    }
    int next = bits.nextSetBit(low + 1);
    return next >= 0 && next < high;
  }
}
