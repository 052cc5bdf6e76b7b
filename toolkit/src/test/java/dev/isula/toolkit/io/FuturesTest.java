package dev.isula.toolkit.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FuturesTest {
  @Test
  void aWaitOnTheOnlyWorkerOfAPoolLetsThePoolRunWhatItWaitsFor() throws Exception {
    // as CompletableFuture.supplyAsync on two cores (common pool of one worker): the awaited task
    // is queued behind the waiting worker; an unmanaged wait would never return
    ForkJoinPool pool = new ForkJoinPool(1);
    try {
      Future<String> outer =
          pool.submit(
              () -> {
                FutureTask<String> inner = new FutureTask<>(() -> "done");
                pool.execute(inner);
                return Futures.await(inner);
              });
      assertEquals("done", outer.get(30, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theTasksFailureIsRethrownAsThrown() {
    IOException boom = new IOException("boom");
    FutureTask<String> t =
        new FutureTask<>(
            () -> {
              throw boom;
            });
    t.run();
    assertSame(boom, assertThrows(IOException.class, () -> Futures.await(t)));
  }
}
