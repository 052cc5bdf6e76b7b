package dev.isula.toolkit.flatten;

import dev.isula.toolkit.blob.FileRange;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * Contents read straight from an uncompressed layer that is a range of a local file (a layer.tar
 * inside a docker-archive, an uncompressed OCI blob): nothing is copied while indexing.
 */
final class RangeStore implements ContentStore {
  private final FileRange range;
  private final FileChannel channel;
  private Spool expanded; // contents that are no byte range of the layer: sparse files

  RangeStore(FileRange range) throws IOException {
    this.range = range;
    this.channel = FileChannel.open(range.file(), StandardOpenOption.READ);
  }

  /**
   * Copies a content that is not stored contiguously in the layer (a sparse file, expanded) aside;
   * returns its offset, which lies past the layer's end and which {@link #open} understands.
   */
  long appendExpanded(InputStream in, long length) throws IOException {
    if (expanded == null) {
      expanded = new Spool();
    }
    return range.length() + expanded.append(in, length);
  }

  @Override
  public InputStream open(long offset, long length) throws IOException {
    if (offset >= range.length() && expanded != null) {
      return expanded.open(offset - range.length(), length);
    }
    if (offset + length > range.length()) {
      throw new IllegalArgumentException("content outside the layer");
    }
    return new FileRange.RangeInputStream(channel, range.offset() + offset, length, false);
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      if (expanded != null) {
        expanded.close();
      }
    }
  }
}
