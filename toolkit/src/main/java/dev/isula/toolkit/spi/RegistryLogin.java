package dev.isula.toolkit.spi;

import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Credentials for container registries, behind {@code isula login} and {@code isula logout}. The
 * registry transport plugin provides it (found with {@link ServiceLoader}, like formats), so the
 * core stays free of any network code. Registry settings such as {@code --tls-verify} or {@code
 * --authfile} reach the provider as {@code isula.registry.*} system properties.
 */
public interface RegistryLogin {
  /**
   * Checks {@code user}/{@code password} against the registry at {@code host} and stores them where
   * the registry transport looks them up.
   *
   * @return the credentials file written
   * @throws IsulaException if the registry refuses the credentials or cannot be reached
   */
  Path login(String host, String user, String password) throws IsulaException, IOException;

  /**
   * Forgets the stored credentials for {@code host}.
   *
   * @return the files they were removed from; empty if none held any
   */
  List<Path> logout(String host) throws IsulaException, IOException;

  /**
   * The provider visible to the thread's context class loader (so {@code --plugin-path} works).
   *
   * @throws UnsupportedFormatException if no registry transport is installed
   */
  static RegistryLogin load() throws UnsupportedFormatException {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl == null) {
      cl = RegistryLogin.class.getClassLoader();
    }
    for (RegistryLogin l : ServiceLoader.load(RegistryLogin.class, cl)) {
      return l;
    }
    throw new UnsupportedFormatException(
        "no registry transport is installed (the docker:// plugin, isula-format-registry)");
  }
}
