package dev.isula.format.registry;

import com.google.auto.service.AutoService;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.spi.RegistryLogin;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code isula login} / {@code logout}: checks credentials and keeps them in {@link AuthFile}s. */
@AutoService(RegistryLogin.class)
public final class RegistryLoginProvider implements RegistryLogin {
  @Override
  public Path login(String host, String user, String password) throws IsulaException, IOException {
    String h = registryHost(host);
    RegistrySettings settings = RegistrySettings.fromSystem();
    AuthFile.Credentials creds = new AuthFile.Credentials(user, password);
    String api = h.equals(RegistryReference.DOCKER_HUB) ? RegistryReference.DOCKER_HUB_API : h;
    RegistryClient client = RegistryClient.connect(h, api, creds, settings);
    client.checkCredentials();
    Path file = AuthFile.system().loginTarget(settings.authFile());
    AuthFile.store(file, h, creds);
    return file;
  }

  @Override
  public List<Path> logout(String host) throws IsulaException, IOException {
    String h = registryHost(host);
    RegistrySettings settings = RegistrySettings.fromSystem();
    List<Path> changed = new ArrayList<>();
    for (Path f : AuthFile.system().searchPath(settings.authFile())) {
      if (AuthFile.remove(f, h)) {
        changed.add(f);
      }
    }
    return changed;
  }

  /** {@code HOST[:PORT]}, also accepted as a URL or a {@code docker://} reference. */
  static String registryHost(String arg) throws UsageException {
    String h = arg.trim();
    if (h.startsWith("docker://")) {
      h = h.substring("docker://".length());
    }
    h = AuthFile.normalizeKey(h);
    int slash = h.indexOf('/');
    if (slash >= 0) {
      h = h.substring(0, slash);
    }
    if (h.isEmpty()) {
      throw new UsageException("missing registry host");
    }
    RegistryReference r = RegistryReference.parse("//" + h + "/x");
    if (!r.host().equals(h) && !h.equals("index.docker.io")) {
      throw new UsageException("'" + arg + "' is not a registry host (HOST[:PORT])");
    }
    return r.host();
  }
}
