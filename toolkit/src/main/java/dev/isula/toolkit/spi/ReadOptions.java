package dev.isula.toolkit.spi;

import dev.isula.toolkit.image.Platform;
import java.util.Objects;

/** What a reader needs besides the reference: for now, the platform to pick from an index. */
public final class ReadOptions {
  private final Platform platform;

  private ReadOptions(Platform platform) {
    this.platform = Objects.requireNonNull(platform);
  }

  /** Options selecting the host's platform. */
  public static ReadOptions defaults() {
    return new ReadOptions(Platform.host());
  }

  public static ReadOptions forPlatform(Platform platform) {
    return new ReadOptions(platform);
  }

  public Platform platform() {
    return platform;
  }
}
