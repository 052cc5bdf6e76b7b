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

  /**
   * Occurrences that a later non-directory of the same layer replaced, at this path or an ancestor
   * (extraction removes them): never winners, but a hardlink that came before still finds them.
   */
  private long[] replaced;

  /** For each replaced occurrence, the index of the entry that replaced it. */
  private int[] replacedBy;

  private int replacedCount;

  /**
   * The layer being indexed, and how many of its occurrences this subtree holds (self included).
   */
  private int markLayer = -1;

  private int markCount;

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
    for (PathNode a = this; a != null; a = a.parent) {
      if (a.markLayer != layer) {
        a.markLayer = layer;
        a.markCount = 0;
      }
      a.markCount++;
    }
  }

  /**
   * A non-directory of {@code layer} now stands at this path: the same layer's earlier entries
   * below it are gone, as extraction (umoci, docker) removes a directory a later entry replaces.
   * Only subtrees holding occurrences of the layer are visited, so each is moved once.
   */
  void replaceDescendants(int layer, int index) {
    int removed = 0;
    if (children != null && markLayer == layer) {
      for (PathNode c : children.values()) {
        removed += c.dropLayer(layer, index);
      }
    }
    for (PathNode a = this; a != null && removed > 0; a = a.parent) {
      a.markCount -= removed;
    }
  }

  /** Moves this subtree's occurrences of {@code layer} to {@link #replaced}; returns how many. */
  private int dropLayer(int layer, int index) {
    if (markLayer != layer || markCount == 0) {
      return 0;
    }
    int removed = 0;
    while (occurrenceCount > 0 && layerOf(occurrences[occurrenceCount - 1]) == layer) {
      long o = occurrences[--occurrenceCount];
      if (replaced == null) {
        replaced = new long[1];
        replacedBy = new int[1];
      } else if (replacedCount == replaced.length) {
        replaced = java.util.Arrays.copyOf(replaced, replacedCount * 2);
        replacedBy = java.util.Arrays.copyOf(replacedBy, replacedCount * 2);
      }
      replacedBy[replacedCount] = index;
      replaced[replacedCount++] = o;
      removed++;
    }
    if (children != null) {
      for (PathNode c : children.values()) {
        removed += c.dropLayer(layer, index);
      }
    }
    markCount -= removed;
    return removed;
  }

  boolean hasOccurrences() {
    return occurrenceCount > 0;
  }

  /** The last occurrence (highest layer, latest entry), or -1. */
  long topOccurrence() {
    return occurrenceCount == 0 ? -1 : occurrences[occurrenceCount - 1];
  }

  /**
   * The last occurrence in {@code layer} with an entry index below {@code before}, or -1; replaced
   * ones count too (a hardlink made before the replacement still reaches its target).
   */
  long lastOccurrence(int layer, int before) {
    long best = -1;
    for (int i = occurrenceCount - 1; i >= 0; i--) {
      long o = occurrences[i];
      int l = layerOf(o);
      if (l == layer && indexOf(o) < before) {
        best = o;
        break;
      }
      if (l < layer) {
        break;
      }
    }
    for (int i = 0; i < replacedCount; i++) {
      long o = replaced[i];
      if (layerOf(o) == layer && indexOf(o) < before && before < replacedBy[i] && o > best) {
        best = o;
      }
    }
    return best;
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
