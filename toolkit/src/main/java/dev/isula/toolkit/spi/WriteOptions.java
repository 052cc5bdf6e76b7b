package dev.isula.toolkit.spi;

import dev.isula.toolkit.compress.Compression;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/** How to write an image: layer compression, the name to give it, threads, progress output. */
public final class WriteOptions {
  private final Compression compression;
  private final String name;
  private final int threads;
  private final Consumer<String> log;
  private final Map<String, String> properties;
  private final Map<String, byte[]> extraFiles;

  private WriteOptions(Builder b) {
    this.compression = b.compression;
    this.name = b.name;
    this.threads = b.threads;
    this.log = b.log;
    this.properties = Map.copyOf(b.properties);
    this.extraFiles = Map.copyOf(b.extraFiles);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Layer compression asked for, or null to keep each layer's own (the sink may still store
   * another, see ImageSink#layerCompression).
   */
  public Compression compression() {
    return compression;
  }

  /** A name for the image when the reference has none (REFERENCE of import); may be null. */
  public String name() {
    return name;
  }

  public int threads() {
    return threads;
  }

  public Consumer<String> log() {
    return log;
  }

  /** Transport-specific settings, e.g. {@code rootfs-format=tar} for split. */
  public String property(String key) {
    return properties.get(key);
  }

  /** Files to add beside the standard ones (archive formats that allow it). */
  public Map<String, byte[]> extraFiles() {
    return extraFiles;
  }

  /** Builder; defaults: keep layer compressions, no name, all cores, no progress. */
  public static final class Builder {
    private Compression compression;
    private String name;
    private int threads = Runtime.getRuntime().availableProcessors();
    private Consumer<String> log = s -> {};
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final Map<String, byte[]> extraFiles = new LinkedHashMap<>();

    /** The layer compression; null keeps each layer's own. */
    public Builder compression(Compression c) {
      compression = c;
      return this;
    }

    public Builder name(String n) {
      name = n;
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

    public Builder extraFile(String name, byte[] content) {
      extraFiles.put(name, content.clone());
      return this;
    }

    public WriteOptions build() {
      return new WriteOptions(this);
    }
  }
}
