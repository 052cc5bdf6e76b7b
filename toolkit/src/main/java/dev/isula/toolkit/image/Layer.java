package dev.isula.toolkit.image;

import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.hash.Digest;
import java.io.IOException;
import java.util.Objects;

/**
 * One layer of an image: its blob (possibly compressed) and the DiffID its uncompressed tar must
 * hash to. The blob digest is null when the source format has none (legacy docker-archive {@code
 * layer.tar}); then only the DiffID is checked.
 */
public final class Layer {
  private final int index;
  private final int count;
  private final String mediaType;
  private final Digest digest;
  private final long size;
  private final Digest diffId;
  private final BlobSource source;

  public Layer(
      int index,
      int count,
      String mediaType,
      Digest digest,
      long size,
      Digest diffId,
      BlobSource source) {
    this.index = index;
    this.count = count;
    this.mediaType = Objects.requireNonNullElse(mediaType, "");
    this.digest = digest;
    this.size = size;
    this.diffId = Objects.requireNonNull(diffId, "diffId");
    this.source = Objects.requireNonNull(source, "source");
  }

  /** Position from the bottom, starting at 0. */
  public int index() {
    return index;
  }

  public String mediaType() {
    return mediaType;
  }

  /** Digest of the blob as stored, or null when the format does not record one. */
  public Digest digest() {
    return digest;
  }

  /** Size of the blob as stored, or -1 when unknown. */
  public long size() {
    return size;
  }

  public Digest diffId() {
    return diffId;
  }

  public BlobSource source() {
    return source;
  }

  /** Opens the uncompressed tar, verifying blob digest and DiffID as it is read. */
  public LayerStream openVerified() throws IOException {
    return new LayerStream(this, false);
  }

  /** Like {@link #openVerified()}, decompressing on a second thread (for long reads). */
  public LayerStream openVerifiedReadAhead() throws IOException {
    return new LayerStream(this, true);
  }

  /**
   * Like {@link #openVerifiedReadAhead()} for a reader that only copies the tar on (into an
   * archive, say): the second thread only decompresses, and the DiffID is hashed as the reader
   * reads, so the two threads share the work more evenly.
   */
  public LayerStream openVerifiedForCopy() throws IOException {
    return LayerStream.forCopy(this);
  }

  /** "layer 2/5 (sha256:0123456789ab)", for messages. */
  public String describe() {
    Digest d = digest != null ? digest : diffId;
    return "layer " + (index + 1) + "/" + count + " (" + d.algorithm() + ":" + d.shortHex() + ")";
  }

  @Override
  public String toString() {
    return describe();
  }
}
