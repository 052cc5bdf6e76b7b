package dev.isula.toolkit.spi;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.image.Platform;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What a reader needs besides the reference: the platform to pick from an index, and, for sources
 * that have to build layers themselves (a rootfs being imported), the layer compression wanted by
 * the destination, threads, and transport-specific properties.
 */
public final class ReadOptions {
  private final Platform platform;
  private final Compression layerCompression;
  private final int threads;
  private final Consumer<String> log;
  private final Map<String, String> properties;
  private final java.util.function.LongConsumer progress;

  private ReadOptions(Builder b) {
    this.platform = Objects.requireNonNull(b.platform);
    this.layerCompression = b.layerCompression;
    this.threads = b.threads;
    this.log = b.log;
    this.properties = Map.copyOf(b.properties);
    this.progress = b.progress;
  }

  /** Options selecting the host's platform. */
  public static ReadOptions defaults() {
    return builder().build();
  }

  public static ReadOptions forPlatform(Platform platform) {
    return builder().platform(platform).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Platform platform() {
    return platform;
  }

  /** Compression for layers a source builds itself. */
  public Compression layerCompression() {
    return layerCompression;
  }

  public int threads() {
    return threads;
  }

  public Consumer<String> log() {
    return log;
  }

  /** Told the number of input bytes as a source that builds layers reads them (for progress). */
  public java.util.function.LongConsumer progress() {
    return progress;
  }

  /** A transport-specific setting, e.g. {@code rootfs} for the split transport; null if unset. */
  public String property(String key) {
    return properties.get(key);
  }

  /** Builder; defaults: host platform, gzip, all cores, no progress. */
  public static final class Builder {
    private Platform platform = Platform.host();
    private Compression layerCompression = Compression.GZIP;
    private int threads = Runtime.getRuntime().availableProcessors();
    private Consumer<String> log = s -> {};
    private final Map<String, String> properties = new LinkedHashMap<>();
    private java.util.function.LongConsumer progress = n -> {};

    public Builder platform(Platform p) {
      platform = Objects.requireNonNull(p);
      return this;
    }

    public Builder layerCompression(Compression c) {
      layerCompression = Objects.requireNonNull(c);
      return this;
    }

    public Builder threads(int t) {
      threads = Math.max(1, t);
      return this;
    }

    public Builder log(Consumer<String> l) {
      log = l == null ? s -> {} : l;
      return this;
    }

    public Builder property(String key, String value) {
      if (value != null) {
        properties.put(key, value);
      }
      return this;
    }

    public Builder progress(java.util.function.LongConsumer p) {
      progress = p == null ? n -> {} : p;
      return this;
    }

    public ReadOptions build() {
      return new ReadOptions(this);
    }
  }
}
