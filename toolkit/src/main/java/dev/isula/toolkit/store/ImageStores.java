package dev.isula.toolkit.store;

import dev.isula.toolkit.api.UnsupportedFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds the store: where it lives, and the implementation that manages it. */
public final class ImageStores {
  /** System property that overrides the root ({@code --root} sets it). */
  public static final String ROOT_PROPERTY = "isula.toolkit.root";

  /** Environment variable that overrides the root. */
  public static final String ROOT_ENV = "ISULA_TOOLKIT_ROOT";

  private ImageStores() {}

  /**
   * {@code --root}, else {@code $ISULA_TOOLKIT_ROOT}, else {@code $XDG_DATA_HOME/isula-toolkit},
   * else {@code ~/.local/share/isula-toolkit}.
   */
  public static Path defaultRoot() {
    String p = System.getProperty(ROOT_PROPERTY);
    if (p != null && !p.isBlank()) {
      return Path.of(p);
    }
    String env = System.getenv(ROOT_ENV);
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    String xdg = System.getenv("XDG_DATA_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "isula-toolkit");
    }
    return Path.of(System.getProperty("user.home"), ".local", "share", "isula-toolkit");
  }

  /** The store at the default root. */
  public static ImageStore open() throws IOException, UnsupportedFormatException {
    return open(defaultRoot());
  }

  /**
   * The store at {@code root}.
   *
   * @throws UnsupportedFormatException if no implementation is on the class path
   */
  public static ImageStore open(Path root) throws IOException, UnsupportedFormatException {
    List<ImageStoreProvider> found = new ArrayList<>();
    ServiceLoader.load(ImageStoreProvider.class, ImageStores.class.getClassLoader())
        .forEach(found::add);
    if (found.isEmpty()) {
      throw new UnsupportedFormatException("no image store implementation is installed");
    }
    if (found.size() > 1) {
      throw new IllegalStateException("more than one image store implementation: " + found);
    }
    return found.get(0).open(root);
  }
}
