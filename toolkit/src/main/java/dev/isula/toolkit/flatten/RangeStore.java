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

  RangeStore(FileRange range) throws IOException {
    this.range = range;
    this.channel = FileChannel.open(range.file(), StandardOpenOption.READ);
  }

  @Override
  public InputStream open(long offset, long length) {
    if (offset + length > range.length()) {
      throw new IllegalArgumentException("content outside the layer");
    }
    return new FileRange.RangeInputStream(channel, range.offset() + offset, length, false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
