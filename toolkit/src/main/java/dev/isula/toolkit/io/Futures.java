package dev.isula.toolkit.io;

import dev.isula.toolkit.api.IsulaException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;

/** Waiting for work done on another thread, with its failure rethrown as it was thrown there. */
public final class Futures {
  private Futures() {}

  /**
   * The task's result. An {@link IsulaException}, {@link IOException} or unchecked exception the
   * task threw is rethrown as such; anything else is wrapped in an {@link IOException}.
   */
  public static <T> T await(Future<T> f) throws IOException, IsulaException {
    try {
      // a managed wait: called on a ForkJoinPool worker (a library caller's parallel stream or
      // CompletableFuture.supplyAsync), the pool knows the worker is blocked and runs its other
      // tasks meanwhile. Java 22+'s HttpClient completes responses through the common pool, so an
      // unmanaged wait there, on two cores (one worker), would wait for itself forever.
      ForkJoinPool.managedBlock(
          new ForkJoinPool.ManagedBlocker() {
            @Override
            public boolean block() throws InterruptedException {
              try {
                f.get();
              } catch (ExecutionException | CancellationException e) {
                // rethrown below, as thrown
              }
              return true;
            }

            @Override
            public boolean isReleasable() {
              return f.isDone();
            }
          });
      return f.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IsulaException ie) {
        throw ie;
      }
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }
}
