package dev.isula.toolkit.cli;

import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.blob.FileRange;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.io.CountingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of long work on stderr: a bar with bytes done of total, rate and ETA when stderr is a
 * terminal; a plain line every tenth of the way when it is a pipe or file; nothing with {@code -q}.
 * The bytes counted are those of the image's layer blobs as they are read.
 */
final class ProgressDisplay implements AutoCloseable {
  private final AtomicLong done = new AtomicLong();
  private final long total;
  private final String task;
  private final PrintWriter err;
  private final ProgressBar bar;
  private final boolean silent;
  private int lastTenth;

  private ProgressDisplay(
      String task, long total, PrintWriter err, boolean terminal, boolean silent) {
    this.task = task;
    this.total = total;
    this.err = err;
    this.silent = silent;
    if (terminal && !silent) {
      this.bar =
          new ProgressBarBuilder()
              .setTaskName(task)
              .setInitialMax(total)
              .setUnit(" MiB", 1 << 20)
              .showSpeed()
              .setStyle(ProgressBarStyle.ASCII)
              .setUpdateIntervalMillis(200)
              .setConsumer(
                  new InteractiveConsoleProgressBarConsumer(new PrintStream(System.err, true)))
              .build();
    } else {
      this.bar = null;
    }
  }

  /** Less work than this is done before a display would say anything useful. */
  static final long MIN_TOTAL = 1 << 20;

  /**
   * A display for {@code total} bytes of work, or a silent one when {@code quiet} or when the total
   * is unknown or under a MiB.
   */
  static ProgressDisplay start(String task, long total, PrintWriter err, boolean quiet) {
    boolean silent = quiet || total < MIN_TOTAL;
    return new ProgressDisplay(task, Math.max(total, 1), err, stderrIsTerminal(), silent);
  }

  /** The same image whose layer blobs report each byte read to this display. */
  Image track(Image image) {
    List<Layer> layers = new ArrayList<>();
    for (Layer l : image.layers()) {
      layers.add(
          new Layer(
              l.index(),
              image.layers().size(),
              l.mediaType(),
              l.digest(),
              l.size(),
              l.diffId(),
              counting(l.source())));
    }
    return image.withLayers(layers);
  }

  /** Total stored size of an image's layers (0 if any is unknown). */
  static long size(Image image) {
    long sum = 0;
    for (Layer l : image.layers()) {
      if (l.size() < 0) {
        return 0;
      }
      sum += l.size();
    }
    return sum;
  }

  private BlobSource counting(BlobSource source) {
    return new BlobSource() {
      @Override
      public InputStream open() throws IOException {
        return new CountingInputStream(source.open(), ProgressDisplay.this::advance);
      }

      @Override
      public byte[] head(int n) throws IOException {
        return source.head(n); // a peek, not progress
      }

      @Override
      public Optional<FileRange> fileRange() {
        return source.fileRange();
      }
    };
  }

  void advance(long n) {
    if (silent) {
      return;
    }
    long now = Math.min(done.addAndGet(n), total);
    if (bar != null) {
      bar.stepTo(now);
      return;
    }
    int tenth = (int) (now * 10 / total);
    synchronized (this) {
      if (tenth > lastTenth) {
        lastTenth = tenth;
        synchronized (err) {
          err.printf(
              Locale.ROOT,
              "%s: %d%% (%.1f of %.1f MiB)%n",
              task,
              tenth * 10,
              now / 1048576.0,
              total / 1048576.0);
          err.flush();
        }
      }
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.stepTo(Math.min(done.get(), total));
      bar.close();
    }
  }

  static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }
}
