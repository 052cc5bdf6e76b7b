package dev.isula.format.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy policy =
      new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(3));

  @Test
  void delaysDoubleUpToTheBound() {
    assertEquals(Duration.ofMillis(500), policy.delay(1, null));
    assertEquals(Duration.ofMillis(1000), policy.delay(2, null));
    assertEquals(Duration.ofMillis(2000), policy.delay(3, null));
    assertEquals(Duration.ofSeconds(3), policy.delay(4, null));
    assertEquals(Duration.ofSeconds(3), policy.delay(40, null));
  }

  @Test
  void retryAfterSecondsWinsWithinTheBound() {
    assertEquals(Duration.ofSeconds(2), policy.delay(1, "2"));
    assertEquals(Duration.ZERO, policy.delay(3, " 0 "));
    assertEquals(Duration.ofSeconds(3), policy.delay(1, "3600"));
    // an HTTP date is not parsed: the exponential delay applies
    assertEquals(Duration.ofMillis(1000), policy.delay(2, "Wed, 21 Oct 2015 07:28:00 GMT"));
  }

  @Test
  void statusesWorthRetrying() {
    for (int st : new int[] {429, 500, 502, 503, 504}) {
      assertTrue(RetryPolicy.retryable(st), "" + st);
    }
    for (int st : new int[] {200, 201, 202, 400, 401, 403, 404, 405, 416, 501}) {
      assertFalse(RetryPolicy.retryable(st), "" + st);
    }
  }

  @Test
  void transportFailuresWorthRetrying() {
    assertTrue(RetryPolicy.retryable(new ConnectException("Connection refused")));
    assertTrue(RetryPolicy.retryable(new IOException(new ConnectException())));
    assertTrue(RetryPolicy.retryable(new SocketException("Connection reset")));
    assertTrue(RetryPolicy.retryable(new EOFException("EOF reached while reading")));
    assertTrue(RetryPolicy.retryable(new IOException("HTTP/1.1 header parser received no bytes")));
    assertTrue(RetryPolicy.retryable(new HttpTimeoutException("request timed out")));
    assertTrue(RetryPolicy.retryable(new HttpConnectTimeoutException("connect timed out")));
    // the connection going away under TLS is still a broken connection
    assertTrue(
        RetryPolicy.retryable(new SSLException("Broken pipe", new SocketException("Broken pipe"))));
  }

  @Test
  void failuresThatWillNotGoAway() {
    assertFalse(RetryPolicy.retryable(new UnknownHostException("registry.invalid")));
    assertFalse(RetryPolicy.retryable(new SSLHandshakeException("PKIX path building failed")));
    assertFalse(RetryPolicy.retryable(new SSLException("Unsupported or unrecognized SSL message")));
    assertFalse(
        RetryPolicy.retryable(
            new IOException(new java.security.cert.CertificateException("no SAN"))));
    assertFalse(RetryPolicy.retryable(new InterruptedIOException("interrupted")));
  }

  @Test
  void refusedIsFoundInTheCauseChain() {
    assertTrue(RetryPolicy.refused(new IOException(new ConnectException())));
    assertFalse(RetryPolicy.refused(new SocketException("Connection reset")));
  }
}
