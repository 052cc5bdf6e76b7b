package dev.isula.format.registry;

import dev.isula.toolkit.api.UsageException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * How to talk to registries. Each setting comes from the read/write options' properties ({@code
 * tls-verify}, ...) or else from the system property {@code isula.registry.KEY}, which the command
 * line's global flags ({@code --tls-verify}, {@code --cert-dir}, {@code --authfile}, {@code
 * --creds}, {@code --retry-times}) set.
 *
 * @param tlsVerify verify certificates and refuse plain HTTP (false: accept any certificate, and
 *     fall back to HTTP when the registry does not speak TLS)
 * @param certDir extra CA certificates ({@code *.crt}, PEM) for this registry, or null (then {@code
 *     /etc/containers/certs.d/HOST} and {@code /etc/docker/certs.d/HOST} are used when present)
 * @param authFile the only credentials file to use, or null for the default search
 * @param creds {@code USER:PASSWORD} given on the command line, or null
 * @param retries how often a failed request (connection error, 5xx, 429) is retried
 * @param retryDelay the first back-off delay; it doubles on every retry
 * @param chunkSize blobs up to this size are uploaded in one PUT, larger ones in PATCH chunks of
 *     this size
 * @param parallel how many blobs are transferred at once, at most
 */
record RegistrySettings(
    boolean tlsVerify,
    Path certDir,
    Path authFile,
    String creds,
    int retries,
    Duration retryDelay,
    long chunkSize,
    int parallel,
    Consumer<String> log) {
  static final String PREFIX = "isula.registry.";
  static final long DEFAULT_CHUNK = 16L << 20;

  /** Settings from option properties ({@code key -> value or null}) and system properties. */
  static RegistrySettings from(
      Function<String, String> properties, int threads, Consumer<String> log)
      throws UsageException {
    Function<String, String> get =
        key -> {
          String v = properties.apply(key);
          return v != null ? v : System.getProperty(PREFIX + key);
        };
    String tls = get.apply("tls-verify");
    boolean verify = true;
    if (tls != null) {
      switch (tls.toLowerCase(Locale.ROOT)) {
        case "true", "1", "yes", "" -> verify = true;
        case "false", "0", "no" -> verify = false;
        default ->
            throw new UsageException("--tls-verify must be true or false, not '" + tls + "'");
      }
    }
    String certDir = get.apply("cert-dir");
    String authFile = get.apply("authfile");
    int retries = intSetting(get.apply("retries"), 3, "--retry-times");
    int delayMs = intSetting(get.apply("retry-delay-ms"), 500, "retry-delay-ms");
    long chunk = sizeSetting(get.apply("chunk-size"));
    int parallel = intSetting(get.apply("parallel"), Math.min(Math.max(1, threads), 6), "parallel");
    return new RegistrySettings(
        verify,
        certDir == null || certDir.isEmpty() ? null : Path.of(certDir),
        authFile == null || authFile.isEmpty() ? null : Path.of(authFile),
        get.apply("creds"),
        retries,
        Duration.ofMillis(delayMs),
        chunk,
        Math.max(1, parallel),
        log == null ? s -> {} : log);
  }

  /** Settings from system properties only (login, logout). */
  static RegistrySettings fromSystem() throws UsageException {
    return from(k -> null, Runtime.getRuntime().availableProcessors(), null);
  }

  RetryPolicy retryPolicy() {
    return new RetryPolicy(retries, retryDelay, Duration.ofSeconds(30));
  }

  private static int intSetting(String v, int dflt, String what) throws UsageException {
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new UsageException(what + " must be a non-negative number, not '" + v + "'");
    }
  }

  private static long sizeSetting(String v) throws UsageException {
    if (v == null || v.isEmpty()) {
      return DEFAULT_CHUNK;
    }
    String s = v.trim().toUpperCase(Locale.ROOT);
    long mult = 1;
    if (s.endsWith("K") || s.endsWith("M") || s.endsWith("G")) {
      mult = s.endsWith("K") ? 1L << 10 : s.endsWith("M") ? 1L << 20 : 1L << 30;
      s = s.substring(0, s.length() - 1);
    }
    try {
      long n = Long.parseLong(s) * mult;
      if (n < 1024 || n > (1L << 30)) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new UsageException("chunk-size must be between 1K and 1G, not '" + v + "'");
    }
  }
}
