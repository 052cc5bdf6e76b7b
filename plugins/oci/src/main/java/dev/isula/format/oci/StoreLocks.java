package dev.isula.format.oci;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Locks of one store, across processes (fcntl locks on files in the store root) and across threads
 * of this process (a read-write lock; a JVM may hold a given file lock only once).
 *
 * <ul>
 *   <li>{@code gc}: held shared by anything that reads or writes blobs for a while (an open image,
 *       a load), exclusively by prune, so prune never deletes a blob that is in use or being
 *       written.
 *   <li>{@code index}: held exclusively for each read-modify-write of {@code index.json}.
 * </ul>
 *
 * Order: gc before index, never the other way, so there is no deadlock.
 */
final class StoreLocks {
  private static final ConcurrentHashMap<Path, StoreLocks> BY_ROOT = new ConcurrentHashMap<>();

  private final Lock gc;
  private final Lock index;

  private StoreLocks(Path root) {
    this.gc = new Lock(root.resolve(".isula-gc.lock"));
    this.index = new Lock(root.resolve(".isula-index.lock"));
  }

  static StoreLocks of(Path root) {
    return BY_ROOT.computeIfAbsent(root.toAbsolutePath().normalize(), StoreLocks::new);
  }

  Held gcShared() throws IOException {
    return gc.shared();
  }

  Held gcExclusive() throws IOException {
    return gc.exclusive();
  }

  Held indexExclusive() throws IOException {
    return index.exclusive();
  }

  /** A held lock; closing releases it. */
  interface Held extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  private static final class Lock {
    private final Path file;
    private final ReentrantReadWriteLock jvm = new ReentrantReadWriteLock(true);
    private FileChannel channel;
    private FileLock sharedLock;
    private int sharedHolders;

    Lock(Path file) {
      this.file = file;
    }

    private synchronized FileChannel channel() throws IOException {
      if (channel == null || !channel.isOpen()) {
        channel =
            FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      }
      return channel;
    }

    Held shared() throws IOException {
      jvm.readLock().lock();
      try {
        synchronized (this) {
          if (sharedHolders == 0) {
            sharedLock = channel().lock(0, Long.MAX_VALUE, true);
          }
          sharedHolders++;
        }
      } catch (IOException | RuntimeException e) {
        jvm.readLock().unlock();
        throw e;
      }
      return () -> {
        try {
          synchronized (this) {
            if (--sharedHolders == 0) {
              sharedLock.release();
              sharedLock = null;
            }
          }
        } finally {
          jvm.readLock().unlock();
        }
      };
    }

    Held exclusive() throws IOException {
      jvm.writeLock().lock();
      FileLock l;
      try {
        l = channel().lock(0, Long.MAX_VALUE, false);
      } catch (IOException | RuntimeException e) {
        jvm.writeLock().unlock();
        throw e;
      }
      return () -> {
        try {
          l.release();
        } finally {
          jvm.writeLock().unlock();
        }
      };
    }
  }
}
