package dev.isula.toolkit.spi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Adds plugin jars found in directories to the class path seen by {@link FormatRegistry#load()}
 * (the thread's context class loader), so a format plugin works without rebuilding anything: drop
 * its jar in a directory and pass {@code --plugin-path DIR} (or set {@code ISULA_PLUGIN_PATH}).
 */
public final class PluginPath {
  /** Environment variable with plugin directories, separated by ':'. */
  public static final String ENV = "ISULA_PLUGIN_PATH";

  private PluginPath() {}

  /**
   * Makes the jars in {@code dirs} (separated by ':') visible to this thread's format lookups.
   *
   * @return the jars added
   */
  public static List<Path> install(String dirs) {
    List<URL> urls = new ArrayList<>();
    List<Path> jars = new ArrayList<>();
    for (String d : dirs.split(":")) {
      if (d.isBlank()) {
        continue;
      }
      Path dir = Path.of(d);
      if (Files.isRegularFile(dir) && d.endsWith(".jar")) {
        jars.add(dir);
        continue;
      }
      if (!Files.isDirectory(dir)) {
        throw new UncheckedIOException(
            new java.nio.file.NoSuchFileException(d, null, "plugin directory not found"));
      }
      try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.jar")) {
        s.forEach(jars::add);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    jars.sort(null);
    for (Path j : jars) {
      try {
        urls.add(j.toUri().toURL());
      } catch (MalformedURLException e) {
        throw new IllegalArgumentException(e);
      }
    }
    if (!urls.isEmpty()) {
      ClassLoader parent = Thread.currentThread().getContextClassLoader();
      if (parent == null) {
        parent = PluginPath.class.getClassLoader();
      }
      Thread.currentThread()
          .setContextClassLoader(new URLClassLoader(urls.toArray(URL[]::new), parent));
    }
    return jars;
  }
}
