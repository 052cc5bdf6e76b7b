package dev.isula.toolkit.flatten;

import dev.isula.toolkit.tar.TarEntry;

/**
 * A file's identity across hardlinks. It is emitted once as a real entry ({@link #emittedPath});
 * every later link to it becomes a hardlink to that path. If none of its names survives the merge
 * but a link does, the link is written as the file itself, from {@link #header} and the recorded
 * content.
 */
final class Inode {
  final TarEntry header;
  final ContentStore store;
  final long offset;
  String emittedPath;

  Inode(TarEntry header, ContentStore store, long offset) {
    this.header = header;
    this.store = store;
    this.offset = offset;
  }

  static Inode emittedAt(String path) {
    Inode i = new Inode(null, null, -1);
    i.emittedPath = path;
    return i;
  }
}
