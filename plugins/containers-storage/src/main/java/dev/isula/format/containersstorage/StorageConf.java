package dev.isula.format.containersstorage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.isula.toolkit.api.IsulaException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the default store is when a reference names none, found as containers/storage finds it: the
 * file {@code $CONTAINERS_STORAGE_CONF}, else (as root) {@code /etc/containers/storage.conf} or
 * {@code /usr/share/containers/storage.conf}, else the built-in defaults — {@code
 * /var/lib/containers/storage} for root; for other users their own {@code
 * $XDG_CONFIG_HOME/containers/storage.conf}, else the system file's {@code rootless_storage_path},
 * else {@code $XDG_DATA_HOME/containers/storage}. Only the {@code [storage]} keys {@code driver},
 * {@code graphroot}, {@code runroot} and {@code rootless_storage_path} are used; {@code
 * $STORAGE_DRIVER} overrides the driver. The file is parsed as TOML, strictly.
 */
final class StorageConf {
  static final String ROOT_GRAPH_ROOT = "/var/lib/containers/storage";
  static final String ROOT_RUN_ROOT = "/run/containers/storage";
  private static final Pattern VARIABLE =
      Pattern.compile("\\$(?:\\{([A-Za-z_][A-Za-z0-9_]*)\\}|([A-Za-z_][A-Za-z0-9_]*))");

  private StorageConf() {}

  /**
   * The default store.
   *
   * @param driver the configured driver, or null to detect it from the graph root
   * @param from the configuration file used, or null for the built-in defaults
   */
  record Location(String driver, String graphRoot, String runRoot, Path from) {}

  /** The default store of this process (its environment, its user). */
  static Location resolve() throws IsulaException {
    return resolve(System::getenv, ProcessUser.uid(), Path.of("/"));
  }

  /**
   * The default store for {@code uid} with this environment, configuration files looked up under
   * {@code fsRoot} (tests point it at a scratch directory).
   */
  static Location resolve(Function<String, String> env, long uid, Path fsRoot)
      throws IsulaException {
    boolean rootless = uid != 0;
    String explicit = env.apply("CONTAINERS_STORAGE_CONF");
    Path system =
        firstExisting(fsRoot, "etc/containers/storage.conf", "usr/share/containers/storage.conf");
    Path file;
    boolean own;
    if (explicit != null && !explicit.isEmpty()) {
      file = Path.of(explicit);
      own = true;
    } else if (rootless) {
      String xdg = env.apply("XDG_CONFIG_HOME");
      String home = env.apply("HOME");
      Path user =
          xdg != null && !xdg.isEmpty()
              ? Path.of(xdg, "containers", "storage.conf")
              : home != null ? Path.of(home, ".config", "containers", "storage.conf") : null;
      own = user != null && Files.isRegularFile(user);
      file = own ? user : system;
    } else {
      file = system;
      own = true;
    }
    JsonNode storage = file != null && Files.isRegularFile(file) ? read(file) : null;
    String driver = text(storage, "driver");
    String envDriver = env.apply("STORAGE_DRIVER");
    if (envDriver != null && !envDriver.isEmpty()) {
      driver = envDriver;
    }
    String graphRoot;
    String runRoot;
    if (!rootless || own) {
      graphRoot = text(storage, "graphroot");
      runRoot = text(storage, "runroot");
    } else {
      graphRoot = null;
      runRoot = null;
      String custom = text(storage, "rootless_storage_path");
      if (custom != null) {
        graphRoot = expand(custom, env, uid);
      }
    }
    if (rootless) {
      if (graphRoot == null) {
        String data = env.apply("XDG_DATA_HOME");
        String home = env.apply("HOME");
        graphRoot =
            data != null && !data.isEmpty()
                ? data + "/containers/storage"
                : (home == null ? "" : home) + "/.local/share/containers/storage";
      }
      if (runRoot == null) {
        String runtime = env.apply("XDG_RUNTIME_DIR");
        runRoot =
            runtime != null && !runtime.isEmpty()
                ? runtime + "/containers"
                : "/run/user/" + uid + "/containers";
      }
      graphRoot = expand(graphRoot, env, uid);
      runRoot = expand(runRoot, env, uid);
    } else {
      graphRoot = graphRoot == null ? ROOT_GRAPH_ROOT : graphRoot;
      runRoot = runRoot == null ? ROOT_RUN_ROOT : runRoot;
    }
    return new Location(driver, graphRoot, runRoot, storage == null ? null : file);
  }

  private static Path firstExisting(Path fsRoot, String... candidates) {
    for (String c : candidates) {
      Path p = fsRoot.resolve(c);
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    return null;
  }

  /** The {@code [storage]} table of {@code file}, or null if it has none. */
  static JsonNode read(Path file) throws IsulaException {
    try {
      JsonNode doc = new TomlMapper().readTree(Files.readAllBytes(file));
      JsonNode storage = doc == null ? null : doc.get("storage");
      if (storage != null && !storage.isObject()) {
        throw new IsulaException(file + ": 'storage' is not a table");
      }
      return storage;
    } catch (IOException e) {
      String m =
          e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new IsulaException(file + ": not a valid storage.conf (TOML): " + m, e);
    }
  }

  private static String text(JsonNode table, String key) throws IsulaException {
    if (table == null) {
      return null;
    }
    JsonNode v = table.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new IsulaException("storage.conf: [storage] " + key + " must be a string");
    }
    return v.asText().isEmpty() ? null : v.asText();
  }

  /** Replaces {@code $VAR} and {@code ${VAR}} (and {@code $UID}) as containers/storage does. */
  static String expand(String s, Function<String, String> env, long uid) {
    Matcher m = VARIABLE.matcher(s);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String value = name.equals("UID") ? Long.toString(uid) : env.apply(name);
      m.appendReplacement(sb, Matcher.quoteReplacement(value == null ? "" : value));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** The current process's user id, from {@code /proc/self}. */
  static final class ProcessUser {
    private ProcessUser() {}

    static long uid() {
      try {
        Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        return ((Number) uid).longValue();
      } catch (IOException | RuntimeException e) {
        String user = System.getProperty("user.name");
        return "root".equals(user) ? 0 : -1;
      }
    }
  }

  /** For tests: an environment from a map. */
  static Function<String, String> env(Map<String, String> map) {
    return map::get;
  }
}
