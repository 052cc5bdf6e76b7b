package dev.isula.toolkit.flatten;

import java.security.SecureRandom;

/**
 * What has been written for paths that no upper layer mentions — most of a large bottom layer — in
 * about 10 bytes per path instead of a tree node each: an open-addressing table from a seeded
 * 64-bit hash of the path to a state byte. The seed is random per run, so crafted names cannot aim
 * for collisions. An accidental one (odds about n²/2^65: 1 in 30 million for a million paths) could
 * make a parent directory count as written (the output then lacks that directory's entry, which
 * extraction creates anyway) or a hardlink's missing target count as present.
 */
final class PathStates {
  static final byte DIRECTORY = 1;
  static final byte OTHER = 2;

  private static final long SEED = new SecureRandom().nextLong();

  private long[] keys = new long[1 << 12];
  private byte[] values = new byte[1 << 12];
  private int size;

  /** The state of {@code path}, or 0 if nothing was written there. */
  byte get(String path) {
    long h = hash(path);
    int mask = keys.length - 1;
    for (int i = index(h, mask); ; i = (i + 1) & mask) {
      if (values[i] == 0) {
        return 0;
      }
      if (keys[i] == h) {
        return values[i];
      }
    }
  }

  void put(String path, byte state) {
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    insert(hash(path), state);
  }

  private void insert(long h, byte state) {
    int mask = keys.length - 1;
    for (int i = index(h, mask); ; i = (i + 1) & mask) {
      if (values[i] == 0) {
        keys[i] = h;
        values[i] = state;
        size++;
        return;
      }
      if (keys[i] == h) {
        values[i] = state;
        return;
      }
    }
  }

  private void grow() {
    long[] oldKeys = keys;
    byte[] oldValues = values;
    keys = new long[oldKeys.length * 2];
    values = new byte[oldValues.length * 2];
    size = 0;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldValues[i] != 0) {
        insert(oldKeys[i], oldValues[i]);
      }
    }
  }

  private static int index(long h, int mask) {
    return (int) (h ^ (h >>> 32)) & mask;
  }

  /** A seeded 64-bit mix of the path's chars (not cryptographic; the seed is secret). */
  static long hash(String s) {
    long h = SEED ^ (s.length() * 0x9E3779B97F4A7C15L);
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0xBF58476D1CE4E5B9L;
      h ^= h >>> 31;
    }
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    return h;
  }
}
