package dev.isula.toolkit.flatten;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/** Random access to file contents recorded while indexing a layer. */
interface ContentStore extends Closeable {
  InputStream open(long offset, long length) throws IOException;
}
