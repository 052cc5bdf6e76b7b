package dev.isula.format.containersstorage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.IsulaException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StorageConfTest {
  @TempDir Path fs;

  private StorageConf.Location resolve(Map<String, String> env, long uid) throws IsulaException {
    return StorageConf.resolve(StorageConf.env(env), uid, fs);
  }

  @Test
  void rootDefaultsWithoutAnyFile() throws Exception {
    StorageConf.Location l = resolve(Map.of(), 0);
    assertEquals("/var/lib/containers/storage", l.graphRoot());
    assertEquals("/run/containers/storage", l.runRoot());
    assertNull(l.driver());
    assertNull(l.from());
  }

  @Test
  void systemFileForRootAndEnvironmentOverrides() throws Exception {
    Path etc = Files.createDirectories(fs.resolve("etc/containers"));
    Files.writeString(
        etc.resolve("storage.conf"),
        """
        # a comment
        [storage]
        driver = "overlay"
        runroot = "/run/x"
        graphroot = '/srv/graph'
        rootless_storage_path = "$HOME/s"

        [storage.options]
        additionalimagestores = [
          "/ro",
        ]
        [storage.options.overlay]
        mountopt = "nodev"
        """);
    StorageConf.Location l = resolve(Map.of(), 0);
    assertEquals("overlay", l.driver());
    assertEquals("/srv/graph", l.graphRoot());
    assertEquals("/run/x", l.runRoot());
    assertEquals(etc.resolve("storage.conf"), l.from());
    assertEquals("vfs", resolve(Map.of("STORAGE_DRIVER", "vfs"), 0).driver());

    Path own = fs.resolve("mine.conf");
    Files.writeString(own, "[storage]\ndriver = \"vfs\"\ngraphroot = \"/g\"\n");
    StorageConf.Location explicit = resolve(Map.of("CONTAINERS_STORAGE_CONF", own.toString()), 0);
    assertEquals("/g", explicit.graphRoot());
    assertEquals("vfs", explicit.driver());
    assertEquals("/run/containers/storage", explicit.runRoot());
  }

  @Test
  void rootlessUsesRootlessStoragePathOrXdgDataHome() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("HOME", "/home/u");
    env.put("USER", "u");
    env.put("XDG_RUNTIME_DIR", "/run/user/1000");
    StorageConf.Location plain = resolve(env, 1000);
    assertEquals("/home/u/.local/share/containers/storage", plain.graphRoot());
    assertEquals("/run/user/1000/containers", plain.runRoot());
    env.put("XDG_DATA_HOME", "/data");
    assertEquals("/data/containers/storage", resolve(env, 1000).graphRoot());

    Path etc = Files.createDirectories(fs.resolve("etc/containers"));
    Files.writeString(
        etc.resolve("storage.conf"),
        "[storage]\ndriver = \"overlay\"\ngraphroot = \"/var/lib/containers/storage\"\n"
            + "rootless_storage_path = \"/srv/$USER/${UID}/storage\"\n");
    StorageConf.Location custom = resolve(env, 1000);
    assertEquals("/srv/u/1000/storage", custom.graphRoot());
    assertEquals("overlay", custom.driver());

    // the user's own file wins over the system's
    Path user = Files.createDirectories(fs.resolve("cfg/containers"));
    Files.writeString(user.resolve("storage.conf"), "[storage]\ngraphroot = \"$HOME/g\"\n");
    env.put("XDG_CONFIG_HOME", fs.resolve("cfg").toString());
    assertEquals("/home/u/g", resolve(env, 1000).graphRoot());
  }

  @Test
  void invalidTomlIsAOneLineErrorNamingTheFile() throws Exception {
    Path bad = fs.resolve("bad.conf");
    Files.writeString(bad, "[storage\ndriver = overlay\n");
    IsulaException e =
        assertThrows(
            IsulaException.class,
            () -> resolve(Map.of("CONTAINERS_STORAGE_CONF", bad.toString()), 0));
    assertTrue(e.getMessage().startsWith(bad + ": not a valid storage.conf"), e.getMessage());
    assertTrue(e.getMessage().lines().count() == 1, e.getMessage());

    Path wrongType = fs.resolve("type.conf");
    Files.writeString(wrongType, "[storage]\ngraphroot = 3\n");
    IsulaException t =
        assertThrows(
            IsulaException.class,
            () -> resolve(Map.of("CONTAINERS_STORAGE_CONF", wrongType.toString()), 0));
    assertTrue(t.getMessage().contains("graphroot must be a string"), t.getMessage());
  }
}
