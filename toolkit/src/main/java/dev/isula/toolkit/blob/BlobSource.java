package dev.isula.toolkit.blob;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Where a blob's bytes come from. It can be opened any number of times, each time from the start;
 * whoever opens a stream closes it.
 */
@FunctionalInterface
public interface BlobSource {
  InputStream open() throws IOException;

  /**
   * The first {@code n} bytes (fewer if the blob is shorter), e.g. to recognise a compression by
   * its magic bytes. Sources that pay for every open (a registry) fetch only those bytes.
   */
  default byte[] head(int n) throws IOException {
    try (InputStream in = open()) {
      return in.readNBytes(n);
    }
  }

  /** The blob as a range of a local file, when it is one (enables positional reads). */
  default Optional<FileRange> fileRange() {
    return Optional.empty();
  }

  /** A source backed by a file range. */
  static BlobSource of(FileRange range) {
    return new BlobSource() {
      @Override
      public InputStream open() throws IOException {
        return range.open();
      }

      @Override
      public Optional<FileRange> fileRange() {
        return Optional.of(range);
      }
    };
  }
}
