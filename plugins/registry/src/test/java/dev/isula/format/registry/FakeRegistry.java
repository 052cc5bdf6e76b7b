package dev.isula.format.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.isula.toolkit.hash.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A small in-memory registry on 127.0.0.1 for unit tests of the client: blobs, chunked and
 * monolithic uploads, mounts, manifests, and optionally Bearer token authentication with its own
 * token endpoint (the real registry in the golden tests only does Basic). Faults can be injected
 * per request, and every request is recorded.
 */
final class FakeRegistry implements AutoCloseable {
  /** One recorded request. */
  record Request(String method, String path, String query, Map<String, String> headers) {
    String header(String name) {
      return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public String toString() {
      return method + " " + path + (query == null ? "" : "?" + query);
    }
  }

  /** What to do instead of serving a request. */
  interface Fault {
    /** Returns true if it answered the exchange itself. */
    boolean apply(HttpExchange ex, Request r) throws IOException;
  }

  private record Injected(Predicate<Request> when, Fault fault, int[] remaining) {}

  private final HttpServer server;
  final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
  final Map<String, Map<String, byte[]>> repoBlobs = new ConcurrentHashMap<>();
  final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
  final Map<String, String> manifestTypes = new ConcurrentHashMap<>();
  private final Map<String, ByteArrayOutputStream> uploads = new ConcurrentHashMap<>();
  final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<Injected> faults = new CopyOnWriteArrayList<>();
  private volatile String user;
  private volatile String password;
  private volatile boolean bearer;

  FakeRegistry() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::handle);
    server.start();
  }

  private volatile String refreshToken;

  /** Also grant tokens for this OAuth refresh token (a form POST to {@code /token}). */
  FakeRegistry identityToken(String t) {
    refreshToken = t;
    return this;
  }

  /** Require a Bearer token from {@code /token}, which wants these Basic credentials. */
  FakeRegistry bearer(String u, String p) {
    bearer = true;
    user = u;
    password = p;
    return this;
  }

  /** Inject {@code fault} for the next {@code times} requests matching {@code when}. */
  FakeRegistry fault(Predicate<Request> when, int times, Fault fault) {
    faults.add(new Injected(when, fault, new int[] {times}));
    return this;
  }

  String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  List<Request> requests(String method, String pathPart) {
    List<Request> out = new ArrayList<>();
    for (Request r : requests) {
      if (r.method().equals(method) && r.path().contains(pathPart)) {
        out.add(r);
      }
    }
    return out;
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      Map<String, String> headers = new LinkedHashMap<>();
      ex.getRequestHeaders()
          .forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
      Request r =
          new Request(
              ex.getRequestMethod(),
              ex.getRequestURI().getPath(),
              ex.getRequestURI().getRawQuery(),
              Collections.unmodifiableMap(headers));
      requests.add(r);
      for (Injected f : faults) {
        synchronized (f) {
          if (f.remaining()[0] > 0 && f.when().test(r)) {
            f.remaining()[0]--;
            if (f.fault().apply(ex, r)) {
              return;
            }
          }
        }
      }
      serve(ex, r);
    }
  }

  private void serve(HttpExchange ex, Request r) throws IOException {
    String path = r.path();
    if (path.equals("/token")) {
      token(ex, r);
      return;
    }
    if (!path.startsWith("/v2/")) {
      send(ex, 404, "{}");
      return;
    }
    if (path.equals("/v2/")) {
      if (authorized(ex, r, null, false)) {
        send(ex, 200, "{}");
      }
      return;
    }
    String rest = path.substring(4);
    int b = rest.lastIndexOf("/blobs/");
    int m = rest.lastIndexOf("/manifests/");
    if (b > 0) {
      String repo = rest.substring(0, b);
      String tail = rest.substring(b + "/blobs/".length());
      boolean write = !r.method().equals("GET") && !r.method().equals("HEAD");
      if (!authorized(ex, r, repo, write)) {
        return;
      }
      if (tail.startsWith("uploads")) {
        upload(ex, r, repo, tail.substring("uploads".length()));
      } else {
        blob(ex, r, repo, tail);
      }
    } else if (m > 0) {
      String repo = rest.substring(0, m);
      String ref = rest.substring(m + "/manifests/".length());
      boolean write = r.method().equals("PUT");
      if (authorized(ex, r, repo, write)) {
        manifest(ex, r, repo, ref);
      }
    } else {
      send(ex, 404, "{}");
    }
  }

  private boolean authorized(HttpExchange ex, Request r, String repo, boolean write)
      throws IOException {
    if (!bearer) {
      return true;
    }
    String auth = r.header("Authorization");
    String needed =
        repo == null ? null : "repository:" + repo + ":" + (write ? "pull,push" : "pull");
    if (auth != null && auth.startsWith("Bearer ")) {
      String granted =
          new String(Base64.getUrlDecoder().decode(auth.substring(7)), StandardCharsets.UTF_8);
      if (needed == null
          || List.of(granted.split(" ")).contains(needed)
          || (!write && List.of(granted.split(" ")).contains(needed + ",push"))) {
        return true;
      }
    }
    String challenge =
        "Bearer realm=\"http://"
            + host()
            + "/token\",service=\"fake\""
            + (needed == null ? "" : ",scope=\"" + needed + "\"");
    ex.getResponseHeaders().add("WWW-Authenticate", challenge);
    send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"token needed\"}]}");
    return false;
  }

  /** The OAuth2 form: grant_type=refresh_token, refresh_token, service, scope (space-separated). */
  private void tokenForRefreshToken(HttpExchange ex, Request r) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    Map<String, String> form = new LinkedHashMap<>();
    for (String kv : body.split("&")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        form.put(
            kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    formPosts.add(form);
    if (!"refresh_token".equals(form.get("grant_type"))
        || refreshToken == null
        || !refreshToken.equals(form.get("refresh_token"))) {
      send(ex, 401, "{\"details\":\"invalid refresh token\"}");
      return;
    }
    if (!"fake".equals(form.get("service"))) {
      send(ex, 400, "{\"details\":\"wrong service\"}");
      return;
    }
    String scopes = form.getOrDefault("scope", "");
    String token = Base64.getUrlEncoder().encodeToString(scopes.getBytes(StandardCharsets.UTF_8));
    send(ex, 200, "{\"access_token\":\"" + token + "\",\"expires_in\":300}");
  }

  /** The forms posted to the token endpoint. */
  final List<Map<String, String>> formPosts = new CopyOnWriteArrayList<>();

  /** Issues a token listing the granted scopes; the scopes are only granted with credentials. */
  private void token(HttpExchange ex, Request r) throws IOException {
    if (r.method().equals("POST")) {
      tokenForRefreshToken(ex, r);
      return;
    }
    String auth = r.header("Authorization");
    String expected =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    if (!expected.equals(auth)) {
      send(ex, 401, "{\"details\":\"incorrect username or password\"}");
      return;
    }
    List<String> scopes = new ArrayList<>();
    Map<String, String> params = new LinkedHashMap<>();
    if (r.query() != null) {
      for (String kv : r.query().split("&")) {
        int eq = kv.indexOf('=');
        String k = kv.substring(0, eq);
        String v = URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        if (k.equals("scope")) {
          scopes.add(v);
        } else {
          params.put(k, v);
        }
      }
    }
    if (!"fake".equals(params.get("service"))) {
      send(ex, 400, "{\"details\":\"wrong service\"}");
      return;
    }
    String token =
        Base64.getUrlEncoder()
            .encodeToString(String.join(" ", scopes).getBytes(StandardCharsets.UTF_8));
    send(ex, 200, "{\"access_token\":\"" + token + "\",\"expires_in\":300}");
  }

  private void blob(HttpExchange ex, Request r, String repo, String digest) throws IOException {
    byte[] data = repoBlobs.getOrDefault(repo, Map.of()).get(digest);
    if (data == null) {
      send(ex, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}");
      return;
    }
    ex.getResponseHeaders().add("Docker-Content-Digest", digest);
    if (r.method().equals("HEAD")) {
      ex.getResponseHeaders().add("Content-Length", Integer.toString(data.length));
      ex.sendResponseHeaders(200, -1);
      return;
    }
    String range = r.header("Range");
    int from = 0;
    int to = data.length - 1;
    if (range != null && range.matches("bytes=[0-9]+-[0-9]*")) {
      String[] ends = range.substring(6).split("-", -1);
      from = Integer.parseInt(ends[0]);
      if (!ends[1].isEmpty()) {
        to = Math.min(to, Integer.parseInt(ends[1]));
      }
      ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + to + "/" + data.length);
      ex.sendResponseHeaders(206, to + 1 - from);
    } else {
      ex.sendResponseHeaders(200, data.length);
    }
    try (OutputStream out = ex.getResponseBody()) {
      out.write(data, from, to + 1 - from);
    }
  }

  private void upload(HttpExchange ex, Request r, String repo, String tail) throws IOException {
    Map<String, String> q = query(r.query());
    if (r.method().equals("POST")) {
      if (q.containsKey("mount") && q.containsKey("from")) {
        byte[] data = repoBlobs.getOrDefault(q.get("from"), Map.of()).get(q.get("mount"));
        if (data != null) {
          repoBlobs.computeIfAbsent(repo, k -> new ConcurrentHashMap<>()).put(q.get("mount"), data);
          ex.getResponseHeaders().add("Location", "/v2/" + repo + "/blobs/" + q.get("mount"));
          send(ex, 201, "");
          return;
        }
      }
      String id = UUID.randomUUID().toString();
      uploads.put(id, new ByteArrayOutputStream());
      ex.getResponseHeaders().add("Location", "/v2/" + repo + "/blobs/uploads/" + id + "?_state=s");
      send(ex, 202, "");
      return;
    }
    String id = tail.startsWith("/") ? tail.substring(1) : tail;
    ByteArrayOutputStream buf = uploads.get(id);
    if (buf == null) {
      send(ex, 404, "{\"errors\":[{\"code\":\"BLOB_UPLOAD_UNKNOWN\",\"message\":\"unknown\"}]}");
      return;
    }
    if (r.method().equals("DELETE")) {
      uploads.remove(id);
      send(ex, 204, "");
      return;
    }
    byte[] body;
    try (InputStream in = ex.getRequestBody()) {
      body = in.readAllBytes();
    }
    if (r.method().equals("PATCH")) {
      String cr = r.header("Content-Range");
      if (cr != null && !cr.equals(buf.size() + "-" + (buf.size() + body.length - 1))) {
        send(ex, 416, "{\"errors\":[{\"code\":\"BLOB_UPLOAD_INVALID\",\"message\":\"range\"}]}");
        return;
      }
      buf.write(body);
      ex.getResponseHeaders().add("Location", "/v2/" + repo + "/blobs/uploads/" + id + "?_state=t");
      ex.getResponseHeaders().add("Range", "0-" + (buf.size() - 1));
      send(ex, 202, "");
      return;
    }
    if (r.method().equals("PUT")) {
      buf.write(body);
      byte[] data = buf.toByteArray();
      String digest = q.get("digest");
      if (digest == null || !Digest.sha256(data).toString().equals(digest)) {
        send(ex, 400, "{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"digest\"}]}");
        return;
      }
      uploads.remove(id);
      blobs.put(digest, data);
      repoBlobs.computeIfAbsent(repo, k -> new ConcurrentHashMap<>()).put(digest, data);
      ex.getResponseHeaders().add("Location", "/v2/" + repo + "/blobs/" + digest);
      send(ex, 201, "");
      return;
    }
    send(ex, 405, "");
  }

  private void manifest(HttpExchange ex, Request r, String repo, String ref) throws IOException {
    String key = repo + ":" + ref;
    if (r.method().equals("PUT")) {
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      String digest = Digest.sha256(body).toString();
      manifests.put(key, body);
      manifests.put(repo + ":" + digest, body);
      String type = r.header("Content-Type");
      manifestTypes.put(key, type);
      manifestTypes.put(repo + ":" + digest, type);
      ex.getResponseHeaders().add("Docker-Content-Digest", digest);
      send(ex, 201, "");
      return;
    }
    byte[] body = manifests.get(key);
    if (body == null) {
      send(
          ex,
          404,
          "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}");
      return;
    }
    ex.getResponseHeaders().add("Content-Type", manifestTypes.get(key));
    ex.getResponseHeaders().add("Docker-Content-Digest", Digest.sha256(body).toString());
    if (r.method().equals("HEAD")) {
      ex.sendResponseHeaders(200, -1);
      return;
    }
    ex.sendResponseHeaders(200, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private static Map<String, String> query(String q) {
    Map<String, String> out = new LinkedHashMap<>();
    if (q == null) {
      return out;
    }
    for (String kv : q.split("&")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        out.put(
            kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    if (!body.isEmpty()) {
      ex.getResponseHeaders().add("Content-Type", "application/json");
    }
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
  }
}
