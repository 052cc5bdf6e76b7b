package dev.isula.toolkit.archive;

import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.blob.BlobSource;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Read access to the files of an image archive, whether it is a directory (an OCI layout) or a tar
 * file (docker-archive, oci-archive). Names are relative and {@code /}-separated; symlinks and
 * hardlinks inside the archive are followed, but never out of it.
 */
public interface FileTree extends Closeable {
  /** The path given by the user, for messages. */
  String describe();

  /** True if {@code name} resolves to a regular file. */
  boolean isFile(String name) throws IsulaException;

  /**
   * The bytes of a file as a re-openable source.
   *
   * @throws InvalidImageException if it is missing, not a regular file, or escapes the archive
   */
  BlobSource blob(String name) throws IsulaException;

  /** Size of a file in bytes. */
  long size(String name) throws IsulaException;

  /** Convenience: opens {@code name}; the caller closes the stream. */
  default InputStream open(String name) throws IOException, IsulaException {
    return blob(name).open();
  }

  /** Every regular file's name, sorted (for diagnostics and detection). */
  List<String> fileNames() throws IOException;

  /**
   * Opens a directory or a (possibly compressed) tar file.
   *
   * @throws InvalidImageException if {@code path} is neither
   */
  static FileTree open(Path path) throws IOException, IsulaException {
    if (Files.isDirectory(path)) {
      return new DirectoryTree(path);
    }
    if (!Files.exists(path)) {
      throw new java.nio.file.NoSuchFileException(path.toString());
    }
    return TarTree.open(path);
  }
}
