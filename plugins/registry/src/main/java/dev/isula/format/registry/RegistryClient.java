package dev.isula.format.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.SSLException;

/**
 * The OCI Distribution API of one registry over {@code java.net.http}: the {@code /v2/} ping (which
 * finds the scheme and how to authenticate), manifests, blobs and uploads. Every request gets the
 * credentials it needs (Basic, or a Bearer token fetched from the token service for the request's
 * scopes and cached), follows redirects itself (credentials are never sent to another host), and is
 * retried with exponential back-off on connection failures and on 429/5xx when it is safe to
 * repeat. Failures become one-line {@link RegistryException}s naming the registry.
 *
 * <p>Thread-safe: the layers of an image are transferred in parallel through one client.
 */
final class RegistryClient {
  static final String MANIFEST_ACCEPT =
      String.join(
          ", ",
          MediaTypes.OCI_MANIFEST,
          MediaTypes.OCI_INDEX,
          MediaTypes.DOCKER_MANIFEST,
          MediaTypes.DOCKER_MANIFEST_LIST);

  private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration PING_TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_REDIRECTS = 10;
  private static final int MAX_ERROR_BODY = 64 * 1024;

  /** Scheme and authority per registry and TLS mode, found once per process. */
  private static final ConcurrentMap<String, URI> BASES = new ConcurrentHashMap<>();

  private final String host;
  private final String apiHost;
  private final RegistrySettings settings;
  private final RetryPolicy retry;
  private final HttpClient http;
  private final AuthFile.Credentials creds;
  private final String userAgent;
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private volatile URI base;
  private volatile Challenge challenge;

  private RegistryClient(
      String host, String apiHost, RegistrySettings settings, AuthFile.Credentials creds)
      throws UsageException, IOException {
    this.host = host;
    this.apiHost = apiHost;
    this.settings = settings;
    this.retry = settings.retryPolicy();
    this.creds = creds;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(30))
            .sslContext(Tls.context(apiHost, settings.tlsVerify(), settings.certDir()))
            .build();
    String v = RegistryClient.class.getPackage().getImplementationVersion();
    this.userAgent = "isula-toolkit/" + (v == null ? "dev" : v);
  }

  /**
   * A client for the registry of {@code ref}, with the credentials for its repository (from {@code
   * --creds} or the credentials files), after a successful ping.
   */
  static RegistryClient connect(RegistryReference ref, RegistrySettings settings)
      throws IsulaException, IOException {
    AuthFile.Credentials c =
        settings.creds() != null
            ? AuthFile.Credentials.parse(settings.creds())
            : AuthFile.system().find(settings.authFile(), ref.host(), ref.repository());
    return connect(ref.host(), ref.apiHost(), c, settings);
  }

  static RegistryClient connect(
      String host, String apiHost, AuthFile.Credentials creds, RegistrySettings settings)
      throws IsulaException, IOException {
    RegistryClient c = new RegistryClient(host, apiHost, settings, creds);
    c.ping();
    return c;
  }

  /** The registry as the user named it. */
  String host() {
    return host;
  }

  // ---------------------------------------------------------------- ping and authentication

  /**
   * {@code GET /v2/}: finds the scheme (https; with {@code --tls-verify=false} plain http when the
   * registry does not speak TLS) and the authentication challenge.
   */
  private void ping() throws IsulaException, IOException {
    String key = apiHost + (settings.tlsVerify() ? "" : " insecure");
    URI known = BASES.get(key);
    // without verification plain HTTP is asked first: a TLS registry answers that at once (Go
    // servers with a 400, others by closing), while some plain servers never answer a TLS hello
    List<String> schemes =
        known != null
            ? List.of(known.getScheme())
            : settings.tlsVerify() ? List.of("https") : List.of("http", "https");
    for (int s = 0; s < schemes.size(); s++) {
      boolean probing = s + 1 < schemes.size();
      URI candidate = URI.create(schemes.get(s) + "://" + apiHost);
      URI v2 = candidate.resolve("/v2/");
      for (int attempt = 0; ; attempt++) {
        HttpResponse<InputStream> r;
        try {
          r = exchange(HttpRequest.newBuilder(v2).GET(), PING_TIMEOUT);
        } catch (IOException e) {
          if (probing && !RetryPolicy.refused(e) && !(e instanceof InterruptedIOException)) {
            break; // not plain HTTP: try TLS
          }
          if (RetryPolicy.retryable(e) && attempt < retry.retries()) {
            backoff(attempt + 1, "GET /v2/", describe(e), null);
            continue;
          }
          throw translate(e, "GET /v2/", attempt + 1);
        }
        int st = r.statusCode();
        String retryAfter = r.headers().firstValue("Retry-After").orElse(null);
        List<String> auth = r.headers().allValues("WWW-Authenticate");
        discard(r);
        if (probing && st == 400) {
          break; // "Client sent an HTTP request to an HTTPS server"
        }
        if (RetryPolicy.retryable(st) && attempt < retry.retries()) {
          backoff(attempt + 1, "GET /v2/", "HTTP " + st, retryAfter);
          continue;
        }
        if (st == 404) {
          throw new RegistryException(host + ": not a container registry (no API at /v2/)", st);
        }
        if (st == 401) {
          challenge = Challenge.choose(auth);
        } else if (st >= 500) {
          throw new RegistryException(
              host + ": GET /v2/ failed with HTTP " + st + " after " + (attempt + 1) + " attempts",
              st);
        }
        base = candidate;
        BASES.put(key, candidate);
        return;
      }
    }
    throw new IllegalStateException("unreachable");
  }

  /**
   * Checks the client's credentials without touching any repository (for {@code login}): Basic
   * registries must accept them on {@code /v2/}, token registries must issue a token for them.
   */
  void checkCredentials() throws IsulaException, IOException {
    Challenge c = challenge;
    if (c == null) {
      return; // the registry asks for no authentication
    }
    if (c.isBearer()) {
      fetchToken(c, List.of());
      return;
    }
    HttpResponse<InputStream> r = send(new Call("GET", "/v2/", List.of(), "GET /v2/"));
    int st = r.statusCode();
    if (st == 200) {
      discard(r);
      return;
    }
    throw error(r, "GET /v2/", null);
  }

  /** The Authorization header for a request needing {@code scopes}; null when none is needed. */
  private String authorization(List<String> scopes) throws IsulaException, IOException {
    Challenge c = challenge;
    if (c == null) {
      return null;
    }
    if (c.isBasic()) {
      return creds == null ? null : creds.basicHeader();
    }
    if (c.isBearer()) {
      String key = String.join(" ", scopes);
      String token = tokens.get(key);
      if (token == null) {
        token = fetchToken(c, scopes);
        tokens.put(key, token);
      }
      return "Bearer " + token;
    }
    return null;
  }

  /** Asks the token service of a Bearer challenge for a token covering {@code scopes}. */
  private String fetchToken(Challenge c, List<String> scopes) throws IsulaException, IOException {
    String realm = c.param("realm");
    URI realmUri;
    try {
      realmUri = URI.create(realm);
    } catch (IllegalArgumentException e) {
      throw new RegistryException(host + ": invalid token realm '" + realm + "'", 0);
    }
    if (realmUri.getScheme() == null
        || !(realmUri.getScheme().equals("https") || realmUri.getScheme().equals("http"))) {
      throw new RegistryException(host + ": invalid token realm '" + realm + "'", 0);
    }
    Call call;
    URI uri;
    if (creds != null && creds.user().equals(AuthFile.IDENTITY_TOKEN_USER)) {
      // an identity token (docker login's OAuth refresh token): exchanged by a form POST
      StringBuilder form = new StringBuilder("grant_type=refresh_token&client_id=isula-toolkit");
      form.append("&refresh_token=").append(encode(creds.password()));
      if (c.param("service") != null) {
        form.append("&service=").append(encode(c.param("service")));
      }
      if (!scopes.isEmpty()) {
        form.append("&scope=").append(encode(String.join(" ", scopes)));
      }
      byte[] body = form.toString().getBytes(StandardCharsets.UTF_8);
      uri = realmUri;
      call = new Call("POST", realm, List.of(), "token request");
      call.header("Content-Type", "application/x-www-form-urlencoded");
      call.body(body, 0, body.length);
    } else {
      StringBuilder q = new StringBuilder();
      if (c.param("service") != null) {
        q.append("service=").append(encode(c.param("service")));
      }
      for (String s : scopes) {
        q.append(q.length() == 0 ? "" : "&").append("scope=").append(encode(s));
      }
      String sep = realmUri.getRawQuery() == null ? "?" : "&";
      uri = URI.create(realm + (q.length() == 0 ? "" : sep + q));
      call = new Call("GET", uri.toString(), List.of(), "token request");
      if (creds != null) {
        call.header("Authorization", creds.basicHeader());
      }
    }
    call.header("Accept", "application/json");
    call.registryAuth = false;
    HttpResponse<InputStream> r = send(call);
    int st = r.statusCode();
    if (st == 401 || st == 403) {
      String detail = errorDetail(readCapped(r));
      throw authError(detail);
    }
    if (st != 200) {
      throw error(r, "token request to " + uri.getHost(), null);
    }
    JsonNode doc = Json.parse(readCapped(r), host + ": token response");
    String token = Json.optText(doc, "token");
    if (token == null || token.isEmpty()) {
      token = Json.optText(doc, "access_token");
    }
    if (token == null || token.isEmpty()) {
      throw new RegistryException(host + ": the token service returned no token", st);
    }
    return token;
  }

  private RegistryException authError(String detail) {
    String suffix = detail == null || detail.isEmpty() ? "" : " (" + detail + ")";
    if (creds == null) {
      return new RegistryException(
          "authentication required for " + host + suffix + "; run isula login " + host, 401);
    }
    return new RegistryException(
        "authentication failed for "
            + host
            + " as "
            + creds.user()
            + suffix
            + "; check the password, or run isula login "
            + host,
        401);
  }

  // ---------------------------------------------------------------- requests

  /** One API request. */
  static final class Call {
    final String method;
    final String target;
    final List<String> scopes;
    final String what;
    final Map<String, String> headers = new LinkedHashMap<>();
    byte[] body;
    int bodyOffset;
    int bodyLength;

    /** Safe to send again after a failure (no side effects that a repeat would double). */
    boolean retry = true;

    /** Authenticate against this registry (false for the token service). */
    boolean registryAuth = true;

    Call(String method, String target, List<String> scopes, String what) {
      this.method = method;
      this.target = target;
      this.scopes = scopes;
      this.what = what;
    }

    Call header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    Call body(byte[] b, int off, int len) {
      body = b;
      bodyOffset = off;
      bodyLength = len;
      return this;
    }

    Call once() {
      retry = false;
      return this;
    }
  }

  /**
   * Sends a request: credentials, redirects (GET and HEAD), one re-authentication on 401, retries
   * for retryable failures. The caller reads (and closes) the response body.
   */
  HttpResponse<InputStream> send(Call call) throws IsulaException, IOException {
    URI uri = base.resolve(call.target);
    int attempt = 0;
    int redirects = 0;
    boolean reauthenticated = false;
    while (true) {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT);
      call.headers.forEach(b::header);
      if (call.registryAuth && sameOrigin(uri, base)) {
        String auth = authorization(call.scopes);
        if (auth != null) {
          b.header("Authorization", auth);
        }
      }
      HttpRequest.BodyPublisher publisher =
          call.body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(call.body, call.bodyOffset, call.bodyLength);
      b.method(call.method, publisher);
      HttpResponse<InputStream> r;
      try {
        r = exchange(b);
      } catch (IOException e) {
        if (call.retry && RetryPolicy.retryable(e) && attempt < retry.retries()) {
          attempt++;
          backoff(attempt, call.what, describe(e), null);
          continue;
        }
        throw translate(e, call.what, attempt + 1);
      }
      int st = r.statusCode();
      if (isRedirect(st)
          && (call.method.equals("GET") || call.method.equals("HEAD"))
          && r.headers().firstValue("Location").isPresent()) {
        if (++redirects > MAX_REDIRECTS) {
          discard(r);
          throw new RegistryException(host + ": " + call.what + ": too many redirects", st);
        }
        uri = uri.resolve(r.headers().firstValue("Location").get());
        discard(r);
        continue;
      }
      if (st == 401 && call.registryAuth && !reauthenticated && sameOrigin(uri, base)) {
        Challenge c = Challenge.choose(r.headers().allValues("WWW-Authenticate"));
        if (c != null) {
          reauthenticated = true;
          discard(r);
          challenge = c;
          if (c.isBearer()) {
            Set<String> scopes = new LinkedHashSet<>(call.scopes);
            String wanted = c.param("scope");
            if (wanted != null) {
              scopes.addAll(List.of(wanted.split(" ")));
            }
            String token = fetchToken(c, new ArrayList<>(scopes));
            tokens.put(String.join(" ", call.scopes), token);
          } else if (creds == null) {
            throw authError(null);
          }
          continue;
        }
      }
      if (call.retry && RetryPolicy.retryable(st) && attempt < retry.retries()) {
        String retryAfter = r.headers().firstValue("Retry-After").orElse(null);
        discard(r);
        attempt++;
        backoff(attempt, call.what, "HTTP " + st, retryAfter);
        continue;
      }
      return r;
    }
  }

  private HttpResponse<InputStream> exchange(HttpRequest.Builder b) throws IOException {
    return exchange(b, REQUEST_TIMEOUT);
  }

  /**
   * One request, waiting at most {@code timeout} for the response headers (the client's own request
   * timeout does not cover the TLS handshake, so it is enforced here).
   */
  private HttpResponse<InputStream> exchange(HttpRequest.Builder b, Duration timeout)
      throws IOException {
    b.setHeader("User-Agent", userAgent);
    java.util.concurrent.CompletableFuture<HttpResponse<InputStream>> f =
        http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    try {
      return f.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    } catch (java.util.concurrent.TimeoutException e) {
      f.cancel(true);
      throw new java.net.http.HttpTimeoutException(
          "no response within " + timeout.toSeconds() + "s");
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(c);
    }
  }

  private void backoff(int attempt, String what, String reason, String retryAfter)
      throws InterruptedIOException {
    Duration d = retry.delay(attempt, retryAfter);
    settings
        .log()
        .accept(
            String.format(
                Locale.ROOT,
                "%s: %s: %s; retrying in %.1fs (%d/%d)",
                host,
                what,
                reason,
                d.toMillis() / 1000.0,
                attempt,
                retry.retries()));
    RetryPolicy.sleep(d);
  }

  int retries() {
    return retry.retries();
  }

  /** Waits before resuming a broken download at {@code position}. */
  void logRetry(String what, String reason, int attempt, long position)
      throws InterruptedIOException {
    backoff(attempt, what, reason + " at byte " + position, null);
  }

  RetryPolicy retryPolicy() {
    return retry;
  }

  private static boolean isRedirect(int st) {
    return st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
  }

  private static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getRawAuthority().equalsIgnoreCase(b.getRawAuthority());
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- errors

  private static boolean tlsFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return true;
      }
    }
    return false;
  }

  /** A transport failure as a one-line registry error. */
  RegistryException translate(IOException e, String what, int attempts) {
    if (e instanceof InterruptedIOException && !RetryPolicy.retryable(e)) {
      return new RegistryException(host + ": " + what + ": interrupted", e);
    }
    String after = attempts > 1 ? " (after " + attempts + " attempts)" : "";
    if (RetryPolicy.refused(e)) {
      return new RegistryException(
          "cannot connect to registry " + apiHost + ": connection refused" + after, e);
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.UnknownHostException) {
        return new RegistryException("unknown registry host " + hostName(apiHost), e);
      }
      if (t instanceof java.security.cert.CertificateException) {
        return new RegistryException(
            apiHost
                + ": the registry's TLS certificate is not trusted ("
                + rootMessage(t)
                + "); give its CA certificate with --cert-dir DIR, or use --tls-verify=false",
            e);
      }
    }
    if (tlsFailure(e)) {
      String m = rootMessage(e);
      if (m.contains("PKIX") || m.contains("certificat") || m.contains("subject alternative")) {
        return new RegistryException(
            apiHost
                + ": the registry's TLS certificate is not trusted ("
                + m
                + "); give its CA certificate with --cert-dir DIR, or use --tls-verify=false",
            e);
      }
      if (m.contains("nrecognized SSL message") || m.contains("plaintext")) {
        return new RegistryException(
            apiHost
                + ": the registry does not speak TLS (plain HTTP?); use --tls-verify=false to"
                + " allow plain HTTP",
            e);
      }
      return new RegistryException(apiHost + ": TLS handshake failed: " + m, e);
    }
    return new RegistryException(host + ": " + what + " failed: " + describe(e) + after, e);
  }

  private static String hostName(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return colon > 0 && !hostPort.endsWith("]") ? hostPort.substring(0, colon) : hostPort;
  }

  static String describe(Throwable e) {
    String m = rootMessage(e);
    return m.isEmpty() ? e.getClass().getSimpleName() : m;
  }

  private static String rootMessage(Throwable e) {
    String msg = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        msg = t.getMessage();
      }
      if (t.getCause() == null && msg == null) {
        msg = t.getClass().getSimpleName();
      }
    }
    return msg == null ? "" : msg.replace('\n', ' ');
  }

  /**
   * The error a failed response means: authentication, permission, or the registry's own error
   * codes, with {@code notFound} as the message for 404 when given.
   */
  RegistryException error(HttpResponse<InputStream> r, String what, String notFound)
      throws IOException {
    int st = r.statusCode();
    String detail = errorDetail(readCapped(r));
    if (st == 401) {
      return authError(detail);
    }
    if (st == 404 && notFound != null) {
      return new RegistryException(notFound, st);
    }
    String d = detail.isEmpty() ? "" : " (" + detail + ")";
    if (st == 403) {
      return new RegistryException(host + ": " + what + ": access denied" + d, st);
    }
    return new RegistryException(host + ": " + what + " failed: HTTP " + st + d, st);
  }

  /** {@code CODE: message} from a registry error document, or the body's start. */
  static String errorDetail(byte[] body) {
    if (body.length == 0) {
      return "";
    }
    try {
      JsonNode doc = Json.mapper().readTree(body);
      JsonNode errors = doc == null ? null : doc.get("errors");
      if (errors != null && errors.isArray() && errors.size() > 0) {
        List<String> parts = new ArrayList<>();
        for (JsonNode e : errors) {
          String code = Json.optText(e, "code");
          String message = Json.optText(e, "message");
          parts.add(
              (code == null ? "" : code)
                  + (code != null && message != null ? ": " : "")
                  + (message == null ? "" : message));
        }
        return String.join("; ", parts);
      }
      for (String field : List.of("error", "details", "message")) {
        String text = doc == null ? null : Json.optText(doc, field);
        if (text != null) {
          return text;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: quote the start of the text
    }
    String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
    return text.replaceAll("\\s+", " ").strip();
  }

  static byte[] readCapped(HttpResponse<InputStream> r) throws IOException {
    try (InputStream in = r.body()) {
      return in.readNBytes(MAX_ERROR_BODY);
    }
  }

  /** Closes a response whose body is not needed. */
  static void discard(HttpResponse<InputStream> r) {
    try {
      r.body().close();
    } catch (IOException ignored) {
      // nothing to do about a failing close of an unneeded body
    }
  }

  // ---------------------------------------------------------------- API

  static String pullScope(String repository) {
    return "repository:" + repository + ":pull";
  }

  static String pushScope(String repository) {
    return "repository:" + repository + ":pull,push";
  }

  /** A manifest or index as served: its bytes, media type and digest. */
  record Manifest(byte[] bytes, String mediaType, Digest digest) {}

  /**
   * {@code GET /v2/REPO/manifests/REF} with every media type we read in {@code Accept}.
   *
   * @param reference a tag or a digest; a digest is verified
   */
  Manifest manifest(String repository, String reference, String notFound)
      throws IsulaException, IOException {
    String what = "GET manifest " + repository + ":" + reference;
    HttpResponse<InputStream> r =
        send(
            new Call(
                    "GET",
                    "/v2/" + repository + "/manifests/" + reference,
                    List.of(pullScope(repository)),
                    what)
                .header("Accept", MANIFEST_ACCEPT));
    if (r.statusCode() == 404) {
      String detail = errorDetail(readCapped(r));
      throw new dev.isula.toolkit.api.ImageNotFoundException(
          detail.contains("NAME_UNKNOWN") || detail.contains("MANIFEST_UNKNOWN") || detail.isEmpty()
              ? notFound
              : notFound + " (" + detail + ")",
          List.of());
    }
    if (r.statusCode() != 200) {
      throw error(r, what, notFound);
    }
    byte[] bytes;
    try (InputStream in = r.body()) {
      bytes = Json.readCapped(in, Json.MAX_MANIFEST_BYTES, host + ": manifest " + reference);
    }
    String mediaType = r.headers().firstValue("Content-Type").orElse("");
    int semi = mediaType.indexOf(';');
    if (semi >= 0) {
      mediaType = mediaType.substring(0, semi);
    }
    mediaType = mediaType.trim();
    if (mediaType.startsWith("application/vnd.docker.distribution.manifest.v1+")) {
      throw new InvalidImageException(
          host
              + ": "
              + repository
              + ":"
              + reference
              + " has a Docker schema 1 manifest, which is not supported");
    }
    if (!MediaTypes.isIndex(mediaType) && !MediaTypes.isManifest(mediaType)) {
      String declared = Json.optText(Json.parseObject(bytes, host + ": manifest"), "mediaType");
      mediaType = declared == null ? "" : declared;
    }
    Digest digest = Digest.sha256(bytes);
    Digest asked = Digest.tryParse(reference);
    if (asked != null) {
      Digest actual = Digest.fromHash(asked.algorithm(), asked.newHasher().digest(bytes));
      if (!actual.equals(asked)) {
        throw new dev.isula.toolkit.api.DigestMismatchException(
            host + ": manifest " + repository, asked, actual);
      }
      digest = asked;
    }
    return new Manifest(bytes, mediaType, digest);
  }

  /** {@code HEAD /v2/REPO/blobs/DIGEST}: is the blob there? */
  boolean blobExists(String repository, Digest digest, List<String> scopes)
      throws IsulaException, IOException {
    String what = "HEAD blob " + digest.shortHex();
    HttpResponse<InputStream> r =
        send(new Call("HEAD", "/v2/" + repository + "/blobs/" + digest, scopes, what));
    int st = r.statusCode();
    if (st == 200) {
      discard(r);
      return true;
    }
    if (st == 404) {
      discard(r);
      return false;
    }
    throw error(r, what, null);
  }

  /**
   * {@code GET /v2/REPO/blobs/DIGEST}, from byte {@code offset} on.
   *
   * @return the body, positioned at {@code offset}
   */
  InputStream openBlob(String repository, Digest digest, long offset)
      throws IsulaException, IOException {
    HttpResponse<InputStream> r =
        getBlob(repository, digest, offset > 0 ? "bytes=" + offset + "-" : null);
    int st = r.statusCode();
    if (st == 200 || (st == 206 && offset > 0)) {
      InputStream in = r.body();
      if (offset > 0 && st == 200) {
        // the server ignored the range: skip what we have already
        long skipped = in.skip(offset);
        while (skipped < offset) {
          long n = in.skip(offset - skipped);
          if (n <= 0) {
            if (in.read() < 0) {
              in.close();
              throw new java.io.EOFException("blob ended before byte " + offset);
            }
            n = 1;
          }
          skipped += n;
        }
      }
      return in;
    }
    throw blobError(r, repository, digest);
  }

  /**
   * {@code GET /v2/REPO/blobs/DIGEST} of the first {@code n} bytes ({@code Range: bytes=0-N-1}); a
   * server that ignores the range sends the whole blob, of which the caller reads {@code n}.
   */
  InputStream openBlobHead(String repository, Digest digest, int n)
      throws IsulaException, IOException {
    HttpResponse<InputStream> r = getBlob(repository, digest, "bytes=0-" + (n - 1));
    int st = r.statusCode();
    if (st == 200 || st == 206) {
      return r.body();
    }
    if (st == 416) { // an empty blob has no byte 0
      discard(r);
      return InputStream.nullInputStream();
    }
    throw blobError(r, repository, digest);
  }

  private HttpResponse<InputStream> getBlob(String repository, Digest digest, String range)
      throws IsulaException, IOException {
    Call call =
        new Call(
            "GET",
            "/v2/" + repository + "/blobs/" + digest,
            List.of(pullScope(repository)),
            "GET blob " + digest.shortHex());
    if (range != null) {
      call.header("Range", range);
    }
    return send(call);
  }

  private RegistryException blobError(HttpResponse<InputStream> r, String repository, Digest digest)
      throws IOException {
    return error(
        r,
        "GET blob " + digest.shortHex(),
        host + "/" + repository + ": blob " + digest + " not found in the registry");
  }

  /**
   * Tries to mount {@code digest} from {@code fromRepository} of the same registry.
   *
   * @return true if it is now in {@code repository} without an upload
   */
  boolean mount(String repository, Digest digest, String fromRepository)
      throws IsulaException, IOException {
    String what = "mount blob " + digest.shortHex() + " from " + fromRepository;
    HttpResponse<InputStream> r =
        send(
            new Call(
                "POST",
                "/v2/"
                    + repository
                    + "/blobs/uploads/?mount="
                    + encode(digest.toString())
                    + "&from="
                    + encode(fromRepository),
                List.of(pushScope(repository), pullScope(fromRepository)),
                what));
    int st = r.statusCode();
    if (st == 201) {
      discard(r);
      return true;
    }
    if (st == 202) {
      // the registry opened an upload instead; we upload through a session of our own
      String location = r.headers().firstValue("Location").orElse(null);
      discard(r);
      if (location != null) {
        cancelUpload(repository, base.resolve(location));
      }
      return false;
    }
    if (st == 401) {
      throw error(r, what, null);
    }
    discard(r);
    return false;
  }

  /** {@code POST /v2/REPO/blobs/uploads/}: a new upload session's URL. */
  URI startUpload(String repository) throws IsulaException, IOException {
    String what = "start upload to " + repository;
    HttpResponse<InputStream> r =
        send(
            new Call(
                "POST",
                "/v2/" + repository + "/blobs/uploads/",
                List.of(pushScope(repository)),
                what));
    if (r.statusCode() != 202) {
      throw error(r, what, host + ": repository " + repository + " not found");
    }
    discard(r);
    return location(r, what);
  }

  private URI location(HttpResponse<InputStream> r, String what) throws RegistryException {
    String loc = r.headers().firstValue("Location").orElse(null);
    if (loc == null) {
      throw new RegistryException(host + ": " + what + ": no Location in the response", 0);
    }
    return r.uri().resolve(loc);
  }

  /**
   * {@code PATCH} of one chunk (not repeated on failure: the caller restarts the upload).
   *
   * @return the session URL to continue with
   */
  URI uploadChunk(String repository, URI session, byte[] buf, int len, long start)
      throws IsulaException, IOException {
    String what = "upload chunk at " + start;
    HttpResponse<InputStream> r =
        send(
            new Call("PATCH", session.toString(), List.of(pushScope(repository)), what)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", start + "-" + (start + len - 1))
                .body(buf, 0, len)
                .once());
    if (r.statusCode() != 202) {
      throw error(r, what, null);
    }
    discard(r);
    return location(r, what);
  }

  /** The closing {@code PUT ...?digest=}, with the last bytes (or all of a small blob). */
  void finishUpload(String repository, URI session, Digest digest, byte[] buf, int len)
      throws IsulaException, IOException {
    String what = "finish upload of " + digest.shortHex();
    String url = session.toString();
    url += (session.getRawQuery() == null ? "?" : "&") + "digest=" + encode(digest.toString());
    Call call =
        new Call("PUT", url, List.of(pushScope(repository)), what)
            .header("Content-Type", "application/octet-stream")
            .body(buf, 0, len)
            .once();
    HttpResponse<InputStream> r = send(call);
    if (r.statusCode() != 201) {
      throw error(r, what, null);
    }
    discard(r);
  }

  /** Best-effort {@code DELETE} of an upload session that will not be finished. */
  void cancelUpload(String repository, URI session) {
    try {
      HttpResponse<InputStream> r =
          send(
              new Call("DELETE", session.toString(), List.of(pushScope(repository)), "cancel")
                  .once());
      discard(r);
    } catch (IsulaException | IOException | RuntimeException ignored) {
      // the registry purges abandoned uploads itself
    }
  }

  /** {@code PUT /v2/REPO/manifests/REF}; returns the digest the registry reports (or null). */
  Digest putManifest(String repository, String reference, byte[] bytes, String mediaType)
      throws IsulaException, IOException {
    String what = "PUT manifest " + repository + ":" + reference;
    HttpResponse<InputStream> r =
        send(
            new Call(
                    "PUT",
                    "/v2/" + repository + "/manifests/" + reference,
                    List.of(pushScope(repository)),
                    what)
                .header("Content-Type", mediaType)
                .body(bytes, 0, bytes.length));
    if (r.statusCode() != 201 && r.statusCode() != 200) {
      throw error(r, what, null);
    }
    discard(r);
    return r.headers().firstValue("Docker-Content-Digest").map(Digest::tryParse).orElse(null);
  }
}
