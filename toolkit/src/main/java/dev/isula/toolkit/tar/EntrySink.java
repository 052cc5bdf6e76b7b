package dev.isula.toolkit.tar;

import dev.isula.toolkit.api.IsulaException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Where a stream of root filesystem entries goes: a tar archive ({@link TarWriter}) or a directory
 * being extracted ({@code DirectoryRootfsWriter}). Entries arrive parents first; a file's content
 * stream holds exactly {@link TarEntry#size()} bytes.
 */
public interface EntrySink {
  /** Writes one entry; {@code content} is read only for regular files. */
  void write(TarEntry entry, InputStream content) throws IOException, IsulaException;

  /** Completes the output (end-of-archive blocks, deferred directory attributes). */
  void finish() throws IOException, IsulaException;
}
