package dev.isula.toolkit.cli;

import dev.isula.toolkit.spi.PluginPath;
import dev.isula.toolkit.store.ImageStores;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Flags every subcommand takes. */
public final class GlobalOptions {
  @Option(
      names = {"-q", "--quiet"},
      description = "Print nothing but errors and warnings.")
  boolean quiet;

  @Option(names = "--debug", description = "On failure, print the stack trace too.")
  boolean debug;

  @Option(
      names = "--plugin-path",
      paramLabel = "DIR[:DIR...]",
      description =
          "Directories (or jars) with format plugins to load, e.g. the dir: transport"
              + " (also $ISULA_PLUGIN_PATH).")
  void pluginPath(String dirs) {
    PluginPath.install(dirs);
  }

  @Option(
      names = "--root",
      paramLabel = "DIR",
      description =
          "The local image store (default: $ISULA_TOOLKIT_ROOT, else"
              + " $XDG_DATA_HOME/isula-toolkit or ~/.local/share/isula-toolkit).")
  void root(Path dir) {
    System.setProperty(ImageStores.ROOT_PROPERTY, dir.toString());
  }

  /** Prefix of the system properties the registry transport (docker://) reads its settings from. */
  static final String REGISTRY = "isula.registry.";

  private static final String[] REGISTRY_KEYS = {
    "tls-verify", "cert-dir", "authfile", "creds", "retries"
  };

  @Option(
      names = "--tls-verify",
      arity = "0..1",
      fallbackValue = "true",
      paramLabel = "BOOL",
      description =
          "Registries (docker://): require HTTPS with a trusted certificate (default: true);"
              + " false also allows plain HTTP.")
  void tlsVerify(boolean verify) {
    System.setProperty(REGISTRY + "tls-verify", Boolean.toString(verify));
  }

  @Option(
      names = "--cert-dir",
      paramLabel = "DIR",
      description =
          "Registries: trust the CA certificates (*.crt) in DIR (default:"
              + " /etc/containers/certs.d/HOST:PORT).")
  void certDir(Path dir) {
    System.setProperty(REGISTRY + "cert-dir", dir.toString());
  }

  @Option(
      names = "--authfile",
      paramLabel = "FILE",
      description =
          "Registries: the credentials file to use (default: $REGISTRY_AUTH_FILE, else"
              + " $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json).")
  void authFile(Path file) {
    System.setProperty(REGISTRY + "authfile", file.toString());
  }

  @Option(
      names = "--creds",
      paramLabel = "USER[:PASSWORD]",
      description = "Registries: credentials to use instead of the stored ones.")
  void creds(String userColonPassword) {
    System.setProperty(REGISTRY + "creds", userColonPassword);
  }

  @Option(
      names = "--retry-times",
      paramLabel = "N",
      description =
          "Registries: retry a request failing with a connection error or 5xx N times, with"
              + " exponential back-off (default: 3).")
  void retryTimes(int n) {
    System.setProperty(REGISTRY + "retries", Integer.toString(n));
  }

  /** Forgets registry settings of an earlier run in this process (tests run many). */
  static void resetRegistrySettings() {
    for (String k : REGISTRY_KEYS) {
      System.clearProperty(REGISTRY + k);
    }
  }
}
