package dev.isula.format.registry;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.security.cert.CertificateException;
import java.time.Duration;
import javax.net.ssl.SSLException;

/**
 * When and how long to wait before trying a request again: connection failures (refused, reset,
 * timed out, closed early) and the statuses meaning "try later" (429, 500, 502, 503, 504) are
 * retried up to {@code retries} times, waiting {@code base}, 2×{@code base}, 4×{@code base}, ...
 * (at most {@code max}), or what a {@code Retry-After} header asks for, within the same bound.
 * Certificate problems, unknown hosts and client errors are never retried: they will not go away.
 */
record RetryPolicy(int retries, Duration base, Duration max) {

  /** True for an HTTP status worth retrying. */
  static boolean retryable(int status) {
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
  }

  /** True for a transport failure worth retrying. */
  static boolean retryable(IOException e) {
    if (e instanceof InterruptedIOException && !(e instanceof HttpConnectTimeoutException)) {
      // an interrupted thread is being cancelled; only timeouts are worth another try
      return e instanceof java.net.http.HttpTimeoutException
          || e instanceof java.net.SocketTimeoutException;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException || t instanceof CertificateException) {
        return false;
      }
      if (t instanceof SSLException && !brokenConnection(t.getCause())) {
        return false; // a handshake that failed (untrusted certificate, not TLS at all)
      }
    }
    return true;
  }

  /** True if {@code t} (a cause of a TLS failure) is the connection going away under it. */
  private static boolean brokenConnection(Throwable t) {
    for (; t != null; t = t.getCause()) {
      if (t instanceof java.net.SocketException || t instanceof java.io.EOFException) {
        return true;
      }
    }
    return false;
  }

  /** True if a failure is a refused connection (nothing listens at host:port). */
  static boolean refused(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  /**
   * How long to wait before retry number {@code attempt} (1 for the first retry).
   *
   * @param retryAfter the response's {@code Retry-After} header (seconds), or null
   */
  Duration delay(int attempt, String retryAfter) {
    if (retryAfter != null) {
      try {
        long s = Long.parseLong(retryAfter.trim());
        if (s >= 0) {
          Duration d = Duration.ofSeconds(s);
          return d.compareTo(max) > 0 ? max : d;
        }
      } catch (NumberFormatException e) {
        // an HTTP date: fall back to the exponential delay
      }
    }
    long ms = base.toMillis();
    for (int i = 1; i < attempt && ms < max.toMillis(); i++) {
      ms *= 2;
    }
    return Duration.ofMillis(Math.min(ms, max.toMillis()));
  }

  /** Sleeps for {@code d}, turning an interrupt into an {@link InterruptedIOException}. */
  static void sleep(Duration d) throws InterruptedIOException {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }
}
