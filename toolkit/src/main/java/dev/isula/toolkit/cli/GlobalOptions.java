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
}
