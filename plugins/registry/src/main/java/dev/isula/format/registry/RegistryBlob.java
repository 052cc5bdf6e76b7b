package dev.isula.format.registry;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.hash.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A blob of a registry repository, streamed with {@code GET} each time it is opened (nothing is
 * stored locally). When the connection breaks mid-blob the stream asks again from where it was,
 * with a {@code Range} request, up to the retry limit, so one reset does not fail a long export.
 * The bytes are not checked here: readers verify them against the digest as they consume them
 * ({@code Layer.openVerified}, {@code ManifestResolver.fetch}, {@code LayerBlobs.Prepared.copyTo}).
 */
final class RegistryBlob implements BlobSource {
  private final RegistryClient client;
  private final String repository;
  private final Digest digest;

  RegistryBlob(RegistryClient client, String repository, Digest digest) {
    this.client = client;
    this.repository = repository;
    this.digest = digest;
  }

  @Override
  public InputStream open() throws IOException {
    return new Resuming();
  }

  /** A ranged {@code GET} of the first bytes, so a peek does not start sending the whole blob. */
  @Override
  public byte[] head(int n) throws IOException {
    try (InputStream in = client.openBlobHead(repository, digest, n)) {
      return in.readNBytes(n);
    } catch (IsulaException e) {
      throw asIo(e);
    }
  }

  private IOException asIo(IsulaException e) {
    return new IOException(e.getMessage(), e);
  }

  /** The blob's body, re-requested from the current offset after a broken connection. */
  private final class Resuming extends InputStream {
    private InputStream in;
    private long position;
    private int failures;
    private boolean closed;

    Resuming() throws IOException {
      try {
        in = client.openBlob(repository, digest, 0);
      } catch (IsulaException e) {
        throw asIo(e);
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (true) {
        if (closed) {
          throw new IOException("stream closed");
        }
        try {
          int n = in.read(b, off, len);
          if (n > 0) {
            position += n;
          }
          return n;
        } catch (IOException e) {
          if (e instanceof InterruptedIOException
              || Thread.currentThread().isInterrupted()
              || !RetryPolicy.retryable(e)
              || failures >= client.retries()) {
            throw e;
          }
          failures++;
          client.logRetry(
              "GET blob " + digest.shortHex(), RegistryClient.describe(e), failures, position);
          try {
            in.close();
          } catch (IOException ignored) {
            // the connection is broken already
          }
          try {
            in = client.openBlob(repository, digest, position);
          } catch (IsulaException ie) {
            throw asIo(ie);
          }
        }
      }
    }

    @Override
    public void close() throws IOException {
      closed = true;
      in.close();
    }
  }
}
