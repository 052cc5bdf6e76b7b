package dev.isula.toolkit.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads its source on a background thread into a few large buffers, so the work of producing the
 * bytes (decompression, hashing) runs on one core while the consumer (tar parsing, writing) runs on
 * another. Memory is bounded: at most {@code depth} buffers are in flight.
 */
public final class ReadAheadInputStream extends InputStream {
  private static final int CHUNK = 1 << 20;
  private static final int DEPTH = 4;
  private static final Chunk END = new Chunk(new byte[0], -1, null);

  private final BlockingQueue<Chunk> full;
  private final BlockingQueue<byte[]> free;
  private final int maxBuffers;
  private int allocated; // pump thread only
  private final Thread thread;
  private final InputStream source;
  private volatile boolean closed;
  private Chunk current;
  private int pos;
  private boolean eof;

  private record Chunk(byte[] data, int length, IOException error) {}

  public ReadAheadInputStream(InputStream source, String name) {
    this(source, name, DEPTH * CHUNK);
  }

  /**
   * @param maxAhead how many bytes may be read ahead of the consumer (buffers are allocated as they
   *     are needed, 1 MiB each; at least 4 MiB)
   */
  public ReadAheadInputStream(InputStream source, String name, long maxAhead) {
    this.source = source;
    int depth = (int) Math.max(DEPTH, Math.min(1024, maxAhead / CHUNK));
    this.maxBuffers = depth + 2;
    this.full = new ArrayBlockingQueue<>(depth + 1);
    this.free = new ArrayBlockingQueue<>(maxBuffers);
    this.thread = new Thread(this::pump, "read-ahead " + name);
    thread.setDaemon(true);
    thread.start();
  }

  private byte[] freeBuffer() throws InterruptedException {
    byte[] b = free.poll();
    if (b != null) {
      return b;
    }
    if (allocated < maxBuffers) {
      allocated++;
      return new byte[CHUNK];
    }
    return free.take();
  }

  private void pump() {
    try {
      while (!closed) {
        byte[] buf = freeBuffer();
        int n = 0;
        while (n < buf.length) {
          int r = source.read(buf, n, buf.length - n);
          if (r < 0) {
            break;
          }
          n += r;
        }
        if (n > 0) {
          full.put(new Chunk(buf, n, null));
        }
        if (n < buf.length) {
          full.put(END);
          return;
        }
      }
    } catch (IOException e) {
      try {
        full.put(new Chunk(null, -1, e));
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | Error e) {
      // hand everything to the reader, which reports it; never die silently and leave it waiting
      IOException wrapped =
          new IOException(
              e instanceof OutOfMemoryError ? "out of memory while reading ahead" : e.toString(),
              e);
      while (!full.offer(new Chunk(null, -1, wrapped))) {
        full.poll(); // make room: the error matters more than buffered data
      }
    }
  }

  private boolean fill() throws IOException {
    if (eof) {
      return false;
    }
    if (current != null && pos < current.length) {
      return true;
    }
    if (current != null && current.data != null && current.data.length == CHUNK) {
      free.offer(current.data);
    }
    try {
      current = full.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException();
    }
    pos = 0;
    if (current.error != null) {
      IOException e = current.error;
      eof = true;
      throw e;
    }
    if (current == END) {
      eof = true;
      return false;
    }
    return true;
  }

  @Override
  public int read() throws IOException {
    if (!fill()) {
      return -1;
    }
    return current.data[pos++] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!fill()) {
      return -1;
    }
    int n = Math.min(len, current.length - pos);
    System.arraycopy(current.data, pos, b, off, n);
    pos += n;
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long done = 0;
    while (done < n && fill()) {
      int k = (int) Math.min(n - done, current.length - pos);
      pos += k;
      done += k;
    }
    return done;
  }

  @Override
  public int available() {
    return current == null || eof ? 0 : current.length - pos;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    source.close();
  }
}
