package dev.isula.toolkit.archive;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsafeEntryException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.blob.FileRange;
import dev.isula.toolkit.tar.EntryNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** A {@link FileTree} over a directory; symlinks may point anywhere inside it, never outside. */
final class DirectoryTree implements FileTree {
  private final Path root;
  private final Path realRoot;

  DirectoryTree(Path root) throws IOException {
    this.root = root;
    this.realRoot = root.toRealPath();
  }

  @Override
  public String describe() {
    return root.toString();
  }

  private Path resolve(String name) throws IsulaException {
    String canonical = EntryNames.normalize(name);
    Path p = realRoot.resolve(canonical);
    if (!Files.exists(p)) {
      throw new InvalidImageException(root + ": missing file " + canonical);
    }
    Path real;
    try {
      real = p.toRealPath();
    } catch (IOException e) {
      throw new InvalidImageException(root + ": cannot resolve " + canonical + ": " + e);
    }
    if (!real.startsWith(realRoot)) {
      throw new UnsafeEntryException(root + ": " + canonical + " points outside the directory");
    }
    return real;
  }

  @Override
  public boolean isFile(String name) throws IsulaException {
    try {
      return Files.isRegularFile(resolve(name));
    } catch (UnsafeEntryException e) {
      throw e;
    } catch (InvalidImageException e) {
      return false;
    }
  }

  @Override
  public BlobSource blob(String name) throws IsulaException {
    Path p = resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new InvalidImageException(root + ": " + name + " is not a regular file");
    }
    try {
      return BlobSource.of(new FileRange(p, 0, Files.size(p)));
    } catch (IOException e) {
      throw new InvalidImageException(root + ": cannot read " + name + ": " + e.getMessage());
    }
  }

  @Override
  public long size(String name) throws IsulaException {
    return blob(name).fileRange().orElseThrow().length();
  }

  @Override
  public List<String> fileNames() throws IOException {
    try (Stream<Path> s = Files.walk(realRoot)) {
      return s.filter(Files::isRegularFile)
          .map(p -> realRoot.relativize(p).toString())
          .sorted()
          .collect(Collectors.toList());
    }
  }

  @Override
  public void close() {}
}
