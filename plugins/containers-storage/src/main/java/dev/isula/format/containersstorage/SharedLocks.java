package dev.isula.format.containersstorage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Shared (read) locks on a store's lock files, as containers/storage readers take them: {@code
 * fcntl(F_SETLKW)} with {@code F_RDLCK} over the whole file, which is what {@link
 * FileChannel#lock(long, long, boolean)} with {@code shared = true} does on Linux. A writer ({@code
 * podman rmi}, {@code pull}, {@code load}) needs the same files exclusively, so it waits until
 * every reader is done.
 *
 * <p>The files are opened read-only and never created: a store without a given lock file has no
 * writer that uses it (iSulad keeps its locks in memory), so there is nothing to wait for.
 *
 * <p>fcntl locks belong to the process, closing any descriptor of a file drops all of the process's
 * locks on it, and a JVM refuses a second lock on a file it already locked; so each file is opened
 * and locked once per JVM, counted, and closed by its last release. Waiting for a lock happens
 * under that file's own monitor only, so one busy file never delays releases of another.
 */
final class SharedLocks {
  private static final Map<Path, Entry> ENTRIES = new HashMap<>();

  private SharedLocks() {}

  /** A held shared lock; closing releases it (once). */
  interface Lock extends AutoCloseable {
    @Override
    void close() throws IOException;
  }

  private static final class Entry {
    final Path file;
    int users;
    int holders;
    FileChannel channel;
    FileLock lock;

    Entry(Path file) {
      this.file = file;
    }
  }

  /**
   * Waits for a shared lock on {@code file}. A file that does not exist is not created; the
   * returned lock then holds nothing.
   *
   * @throws IOException if the file exists but cannot be opened or locked
   */
  static Lock acquire(Path file) throws IOException {
    Path key = file.toAbsolutePath().normalize();
    Entry e;
    synchronized (ENTRIES) {
      e = ENTRIES.computeIfAbsent(key, Entry::new);
      e.users++;
    }
    try {
      synchronized (e) {
        if (e.holders == 0) {
          FileChannel ch;
          try {
            ch = FileChannel.open(key, StandardOpenOption.READ);
          } catch (NoSuchFileException missing) {
            ch = null;
          }
          if (ch != null) {
            try {
              e.lock = ch.lock(0, Long.MAX_VALUE, true);
            } catch (IOException | RuntimeException ex) {
              ch.close();
              throw ex;
            }
          }
          e.channel = ch;
        }
        e.holders++;
      }
    } catch (IOException | RuntimeException ex) {
      forget(e);
      throw ex;
    }
    return new Lock() {
      private boolean released;

      @Override
      public void close() throws IOException {
        synchronized (this) {
          if (released) {
            return;
          }
          released = true;
        }
        try {
          synchronized (e) {
            if (--e.holders == 0 && e.channel != null) {
              try {
                e.lock.release();
              } finally {
                e.channel.close();
                e.channel = null;
                e.lock = null;
              }
            }
          }
        } finally {
          forget(e);
        }
      }
    };
  }

  private static void forget(Entry e) {
    synchronized (ENTRIES) {
      if (--e.users == 0) {
        ENTRIES.remove(e.file);
      }
    }
  }
}
