package dev.isula.format.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Registry credentials in the files podman, skopeo, buildah and docker use: {@code {"auths":
 * {"HOST": {"auth": base64("USER:PASSWORD")}}}}.
 *
 * <p>Looked up, first match wins: the file given with {@code --authfile} (alone), else {@code
 * $REGISTRY_AUTH_FILE} (alone), else {@code $XDG_RUNTIME_DIR/containers/auth.json}, {@code
 * ~/.config/containers/auth.json} and {@code ~/.docker/config.json}. Within a file a key may name
 * the host ({@code 127.0.0.1:5000}), a repository or namespace below it ({@code
 * 127.0.0.1:5000/team}, the most specific wins), or be written as a URL ({@code
 * https://index.docker.io/v1/}, docker's key for Docker Hub).
 *
 * <p>{@code isula login} writes to {@code --authfile} or {@code $REGISTRY_AUTH_FILE} when given;
 * otherwise to {@code $XDG_RUNTIME_DIR/containers/auth.json} as podman does, except when that file
 * does not exist but {@code ~/.docker/config.json} does (a docker user's only credentials file),
 * and to {@code ~/.docker/config.json} when {@code XDG_RUNTIME_DIR} is not set.
 *
 * <p>Credential helpers are read as docker reads them: within a file, {@code credHelpers.HOST}
 * names the helper for that host, else {@code auths} is consulted, else the {@code credsStore}
 * helper; a helper is the program {@code docker-credential-NAME} on {@code PATH}, run as {@code
 * docker-credential-NAME get} with the server on standard input, answering {@code
 * {"Username":…,"Secret":…}}. A helper that is missing or knows nothing gives no credentials (an
 * anonymous attempt follows). {@code login} writes to {@code auths}, never to a helper.
 *
 * <p>An identity token (a helper's answer with user {@code <token>}, or an {@code identitytoken}
 * field in {@code auths}) is an OAuth refresh token: it is exchanged at the token service with a
 * {@code grant_type=refresh_token} POST instead of being sent as a password.
 */
final class AuthFile {
  static final String ENV = "REGISTRY_AUTH_FILE";

  /**
   * The user name with which docker's files and helpers mark an identity token (an OAuth refresh
   * token, exchanged at the registry's token service) instead of a password.
   */
  static final String IDENTITY_TOKEN_USER = "<token>";

  /** A user name and password. */
  record Credentials(String user, String password) {
    String basicHeader() {
      return "Basic "
          + Base64.getEncoder()
              .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "Credentials[" + user + "]"; // never the password
    }

    /** {@code USER:PASSWORD}, as {@code --creds} takes it. */
    static Credentials parse(String userColonPassword) {
      int colon = userColonPassword.indexOf(':');
      return colon < 0
          ? new Credentials(userColonPassword, "")
          : new Credentials(
              userColonPassword.substring(0, colon), userColonPassword.substring(colon + 1));
    }
  }

  private final Map<String, String> env;
  private final Path home;

  AuthFile(Map<String, String> env, Path home) {
    this.env = env;
    this.home = home;
  }

  static AuthFile system() {
    return new AuthFile(System.getenv(), Path.of(System.getProperty("user.home")));
  }

  /** The files searched for credentials, in order. */
  List<Path> searchPath(Path explicit) {
    if (explicit != null) {
      return List.of(explicit);
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return List.of(Path.of(fromEnv));
    }
    List<Path> out = new ArrayList<>();
    String runtime = env.get("XDG_RUNTIME_DIR");
    if (runtime != null && !runtime.isEmpty()) {
      out.add(Path.of(runtime, "containers", "auth.json"));
    }
    String config = env.get("XDG_CONFIG_HOME");
    out.add(
        config != null && !config.isEmpty()
            ? Path.of(config, "containers", "auth.json")
            : home.resolve(".config/containers/auth.json"));
    out.add(dockerConfig());
    return out;
  }

  private Path dockerConfig() {
    String dir = env.get("DOCKER_CONFIG");
    return dir != null && !dir.isEmpty()
        ? Path.of(dir, "config.json")
        : home.resolve(".docker/config.json");
  }

  /** Where {@code login} stores credentials (see the class comment). */
  Path loginTarget(Path explicit) {
    if (explicit != null) {
      return explicit;
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isEmpty()) {
      return Path.of(fromEnv);
    }
    String runtime = env.get("XDG_RUNTIME_DIR");
    Path docker = dockerConfig();
    if (runtime == null || runtime.isEmpty()) {
      return docker;
    }
    Path auth = Path.of(runtime, "containers", "auth.json");
    return !Files.exists(auth) && Files.exists(docker) ? docker : auth;
  }

  /**
   * The credentials for {@code repository} on {@code host} from the first file that has any.
   *
   * @return null if no file has credentials for it
   * @throws InvalidImageException if a file exists but is not valid JSON
   */
  Credentials find(Path explicit, String host, String repository)
      throws IOException, InvalidImageException {
    for (Path f : searchPath(explicit)) {
      if (!Files.isRegularFile(f)) {
        continue;
      }
      ObjectNode file = read(f);
      String helper = Json.optText(file.path("credHelpers"), host);
      Credentials c =
          helper != null && !helper.isEmpty()
              ? fromHelper(helper, host, f)
              : lookup(file, host, repository, f.toString());
      if (c == null && helper == null) {
        String store = Json.optText(file, "credsStore");
        if (store != null && !store.isEmpty()) {
          c = fromHelper(store, host, f);
        }
      }
      if (c != null) {
        return c;
      }
    }
    return null;
  }

  /** Longest a helper may take, and most it may print. */
  private static final long HELPER_SECONDS = 30;

  private static final int HELPER_OUTPUT_LIMIT = 1 << 20;

  /**
   * Runs {@code docker-credential-NAME get} for {@code host}.
   *
   * @return null when the helper is not installed or has nothing for the host
   * @throws InvalidImageException if its name is unsafe or its answer is not the JSON it should be
   */
  Credentials fromHelper(String name, String host, Path configuredIn)
      throws IOException, InvalidImageException {
    String what = configuredIn + ": credential helper '" + name + "'";
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new InvalidImageException(what + ": not a valid helper name");
    }
    Path program = onPath("docker-credential-" + name);
    if (program == null) {
      return null;
    }
    // docker keys Docker Hub by this URL in helpers too
    String server = host.equals("docker.io") ? "https://index.docker.io/v1/" : host;
    Process p =
        new ProcessBuilder(program.toString(), "get")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    try (var stdin = p.getOutputStream()) {
      stdin.write(server.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // it may exit without reading; its exit status tells
    }
    byte[] out;
    try (var stdout = p.getInputStream()) {
      out = stdout.readNBytes(HELPER_OUTPUT_LIMIT + 1);
    }
    try {
      if (!p.waitFor(HELPER_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(what + ": no answer within " + HELPER_SECONDS + "s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted waiting for " + what);
    }
    if (p.exitValue() != 0) {
      return null; // "credentials not found in native keychain"
    }
    if (out.length > HELPER_OUTPUT_LIMIT) {
      throw new InvalidImageException(what + ": answer larger than 1 MiB");
    }
    JsonNode answer = Json.parseObject(out, what + ": answer");
    String user = Json.optText(answer, "Username");
    String secret = Json.optText(answer, "Secret");
    if (user == null || secret == null) {
      throw new InvalidImageException(what + ": answer has no Username and Secret");
    }
    return new Credentials(user, secret);
  }

  private Path onPath(String program) {
    String path = env.get("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  static ObjectNode read(Path f) throws IOException, InvalidImageException {
    return Json.parseObject(Files.readAllBytes(f), f + ": credentials file");
  }

  /**
   * The credentials a parsed credentials file holds for {@code repository} (may be null) on {@code
   * host}: the entry for the longest matching {@code host/namespace} prefix, else the host's.
   *
   * @throws InvalidImageException if the matching entry is malformed
   */
  static Credentials lookup(JsonNode file, String host, String repository, String what)
      throws InvalidImageException {
    JsonNode auths = file.get("auths");
    if (auths == null || !auths.isObject()) {
      return null;
    }
    JsonNode best = null;
    int bestLength = -1;
    String bestKey = null;
    for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = normalizeKey(e.getKey());
      int length = matchLength(key, host, repository);
      if (length > bestLength) {
        best = e.getValue();
        bestLength = length;
        bestKey = e.getKey();
      }
    }
    if (best == null) {
      return null;
    }
    String where = what + ": auths." + bestKey;
    String auth = Json.optText(best, "auth");
    if (auth != null && !auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new InvalidImageException(where + ".auth is not base64");
      }
      if (decoded.indexOf(':') < 0) {
        throw new InvalidImageException(where + ".auth is not base64 of USER:PASSWORD");
      }
      return Credentials.parse(decoded);
    }
    String user = Json.optText(best, "username");
    String password = Json.optText(best, "password");
    if (user != null && password != null) {
      return new Credentials(user, password);
    }
    String identityToken = Json.optText(best, "identitytoken");
    if (identityToken != null && !identityToken.isEmpty()) {
      return new Credentials(IDENTITY_TOKEN_USER, identityToken);
    }
    return null;
  }

  /** {@code https://index.docker.io/v1/} → {@code docker.io}; scheme and trailing / dropped. */
  static String normalizeKey(String key) {
    String k = key;
    if (k.startsWith("https://")) {
      k = k.substring(8);
    } else if (k.startsWith("http://")) {
      k = k.substring(7);
    }
    while (k.endsWith("/")) {
      k = k.substring(0, k.length() - 1);
    }
    if (k.equals("index.docker.io/v1")
        || k.equals("index.docker.io")
        || k.equals("registry-1.docker.io")) {
      return RegistryReference.DOCKER_HUB;
    }
    if (k.startsWith("index.docker.io/") || k.startsWith("registry-1.docker.io/")) {
      return RegistryReference.DOCKER_HUB + k.substring(k.indexOf('/'));
    }
    return k;
  }

  /** How specific {@code key} is for the repository (-1: it does not apply). */
  private static int matchLength(String key, String host, String repository) {
    if (key.equals(host)) {
      return host.length();
    }
    if (repository == null || !key.startsWith(host + "/")) {
      return -1;
    }
    String full = host + "/" + repository;
    return full.equals(key) || full.startsWith(key + "/") ? key.length() : -1;
  }

  /** Stores credentials for {@code host} in {@code file}, keeping everything else it holds. */
  static void store(Path file, String host, Credentials c)
      throws IOException, InvalidImageException {
    ObjectNode root = Files.exists(file) ? read(file) : JsonNodeFactory.instance.objectNode();
    JsonNode auths = root.get("auths");
    ObjectNode a = auths != null && auths.isObject() ? (ObjectNode) auths : root.putObject("auths");
    removeKeys(a, host);
    a.putObject(host)
        .put(
            "auth",
            Base64.getEncoder()
                .encodeToString((c.user() + ":" + c.password()).getBytes(StandardCharsets.UTF_8)));
    write(file, root);
  }

  /**
   * Removes the entries for {@code host} (in any spelling) from {@code file}.
   *
   * @return true if there was one
   */
  static boolean remove(Path file, String host) throws IOException, InvalidImageException {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    ObjectNode root = read(file);
    JsonNode auths = root.get("auths");
    if (auths == null || !auths.isObject() || !removeKeys((ObjectNode) auths, host)) {
      return false;
    }
    write(file, root);
    return true;
  }

  private static boolean removeKeys(ObjectNode auths, String host) {
    List<String> gone = new ArrayList<>();
    auths
        .fieldNames()
        .forEachRemaining(
            k -> {
              if (normalizeKey(k).equals(host)) {
                gone.add(k);
              }
            });
    gone.forEach(auths::remove);
    return !gone.isEmpty();
  }

  /** Replaces the file atomically, readable by its owner only (it holds passwords). */
  private static void write(Path file, ObjectNode root) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path tmp =
        Files.createTempFile(
            dir,
            "." + file.getFileName() + ".",
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      byte[] json = Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
      Files.write(tmp, json);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
