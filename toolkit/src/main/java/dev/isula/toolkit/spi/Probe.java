package dev.isula.toolkit.spi;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.archive.FileTree;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What detection may look at for a bare path: whether it is a directory or an archive, and which
 * marker files it holds. The archive is indexed once and shared by all providers' checks.
 */
public final class Probe implements Closeable {
  private final Path path;
  private FileTree tree;
  private Set<String> names;
  private boolean unreadable;

  private final boolean listed;

  public Probe(Path path) {
    this.path = path;
    this.listed = false;
  }

  private Probe(Path path, Set<String> topLevelFiles) {
    this.path = path;
    this.names = Set.copyOf(topLevelFiles);
    this.listed = true;
  }

  /**
   * A probe of an archive that was already read through by someone else, who noted the regular
   * files at its top level: detection sees an archive (never a directory) holding those files.
   *
   * @param path what was read ({@code -} for standard input); only for messages
   */
  public static Probe ofArchiveFiles(Path path, Set<String> topLevelFiles) {
    return new Probe(path, topLevelFiles);
  }

  public Path path() {
    return path;
  }

  public boolean isDirectory() {
    return !listed && Files.isDirectory(path);
  }

  /** True if the directory or archive contains this file (e.g. {@code manifest.json}). */
  public boolean hasFile(String name) throws IOException {
    Set<String> n = names();
    return n != null && n.contains(name);
  }

  private Set<String> names() throws IOException {
    if (names == null && !unreadable) {
      try {
        tree = FileTree.open(path);
        List<String> list = tree.fileNames();
        names = new HashSet<>(list);
      } catch (IsulaException e) {
        unreadable = true;
      }
    }
    return names;
  }

  @Override
  public void close() throws IOException {
    if (tree != null) {
      tree.close();
    }
  }
}
