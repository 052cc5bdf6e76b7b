package dev.isula.format.registry;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.hash.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;

/**
 * One upload session, written to as a stream. A blob no larger than the chunk size is buffered and
 * sent with the closing {@code PUT ?digest=} (a monolithic upload); a larger one goes out in {@code
 * PATCH} requests of one chunk each, the closing {@code PUT} carrying the rest. Memory use is one
 * chunk. A failing request is not repeated here (the registry may hold part of it): it surfaces as
 * an {@link UploadFailure} and the caller starts the blob again in a new session.
 */
final class BlobUpload extends OutputStream {
  private final RegistryClient client;
  private final String repository;
  private final long size;
  private final byte[] buffer;
  private URI session;
  private int fill;
  private long sent;
  private long written;
  private boolean finished;

  BlobUpload(RegistryClient client, String repository, URI session, long size, long chunkSize) {
    this.client = client;
    this.repository = repository;
    this.session = session;
    this.size = size;
    this.buffer = new byte[(int) Math.max(1, Math.min(size, chunkSize))];
  }

  /** A request of the upload failed; {@link #getCause()} is the {@link RegistryException}. */
  static final class UploadFailure extends IOException {
    private static final long serialVersionUID = 1L;

    UploadFailure(RegistryException cause) {
      super(cause.getMessage(), cause);
    }

    RegistryException registryError() {
      return (RegistryException) getCause();
    }

    /**
     * True if a new session may succeed: the connection broke, the registry answered 5xx/429, or it
     * forgot the session (404, e.g. after a restart).
     */
    boolean retryable() {
      int st = registryError().status();
      return st == 0 || st == 404 || st == 416 || RetryPolicy.retryable(st);
    }
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (fill == buffer.length) {
        sendChunk();
      }
      int n = Math.min(len, buffer.length - fill);
      System.arraycopy(b, off, buffer, fill, n);
      fill += n;
      off += n;
      len -= n;
      written += n;
    }
  }

  private void sendChunk() throws IOException {
    try {
      session = client.uploadChunk(repository, session, buffer, fill, sent);
    } catch (RegistryException e) {
      throw new UploadFailure(e);
    } catch (IsulaException e) {
      throw new IOException(e.getMessage(), e);
    }
    sent += fill;
    fill = 0;
  }

  /** Bytes written so far. */
  long written() {
    return written;
  }

  /** Commits the blob under {@code digest}, sending what is still buffered. */
  void finish(Digest digest) throws IOException {
    if (written != size) {
      throw new IOException(
          "upload of " + digest + ": got " + written + " bytes, expected " + size);
    }
    try {
      client.finishUpload(repository, session, digest, buffer, fill);
    } catch (RegistryException e) {
      throw new UploadFailure(e);
    } catch (IsulaException e) {
      throw new IOException(e.getMessage(), e);
    }
    finished = true;
  }

  /** Cancels the session unless it was committed. */
  void abort() {
    if (!finished) {
      client.cancelUpload(repository, session);
    }
  }
}
