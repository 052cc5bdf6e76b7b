package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real Debian root filesystem ({@code mmdebstrap --variant=minbase bookworm}, ~8,700 entries with
 * device nodes, hardlinks and symlinks) plus one umoci edit layer, flattened by us and unpacked by
 * umoci, compared file by file.
 *
 * <p>Optional by design: it runs only where mmdebstrap is installed (and is skipped otherwise, also
 * in CI). The rootfs tarball is built once a day and cached as {@code
 * /tmp/isula-test-cache/debian-bookworm-minbase-DATE.tar}; older days' files are removed.
 */
@Tag("peers")
class DebianRootfsPeersTest {
  private static final Path CACHE = Path.of("/tmp/isula-test-cache");
  private static final String PREFIX = "debian-bookworm-minbase-";

  private static final String EDIT_SCRIPT =
      """
      cd "$BUNDLE/rootfs"
      rm -rf usr/share/doc
      rm -rf usr/share/locale && mkdir usr/share/locale && echo new > usr/share/locale/README
      rm usr/bin/perl5.36.0
      echo 'isula:x:1000:1000::/home/isula:/bin/sh' >> etc/passwd
      setfattr -n user.peer -v 1 etc/hostname
      chmod 0700 root && chown 1000:1000 home
      rm -rf var/lib/apt/lists var/cache/apt
      ln usr/bin/dpkg usr/bin/dpkg-hardlink
      mkfifo run/peer-fifo
      """;

  @BeforeAll
  static void requireTools() {
    // mmdebstrap is optional: its absence skips this test even with CI=true
    Assumptions.assumeTrue(
        Tools.has("mmdebstrap"), "mmdebstrap not installed: Debian rootfs peer test skipped");
    Tools.requireThat(Tools.isRoot(), "must run as root (mknod, chown, umoci keeping owners)");
    Tools.require("umoci", "getfattr", "setfattr");
  }

  @Test
  void debianMinbaseWithEditLayerFlattensLikeUmociUnpacks() throws IOException {
    Path rootfsTar = cachedRootfs();
    try (Scratch s = Scratch.create("isula-peers-debian-", 2L << 30)) {
      Path root = s.root;
      String layout = root.resolve("layout").toString();
      Tools.run(List.of("umoci", "init", "--layout", layout), root);
      Tools.run(List.of("umoci", "new", "--image", layout + ":t1"), root);
      Tools.run(
          List.of("umoci", "raw", "add-layer", "--image", layout + ":t1", rootfsTar.toString()),
          root);
      Path bundle = root.resolve("bundle");
      Tools.run(List.of("umoci", "unpack", "--image", layout + ":t1", bundle.toString()), root);
      Tools.sh(EDIT_SCRIPT, root, Tools.env("BUNDLE", bundle.toString()));
      Tools.run(List.of("umoci", "repack", "--image", layout + ":t2", bundle.toString()), root);
      Scratch.deleteTree(bundle);

      Path oracle = root.resolve("umoci-unpack");
      Tools.run(
          List.of("umoci", "raw", "unpack", "--image", layout + ":t2", oracle.toString()), root);
      Path ours = root.resolve("export.tar");
      String ref = "oci:" + layout + ":t2";
      SyntheticImage.exportRootfs(ref, ours);
      assertTrue(RootfsComparator.countEntries(ours) > 5000, "suspiciously small Debian rootfs");
      RootfsComparator.assertMatches(ours, oracle, ref + " (Debian bookworm minbase + edit)");
    }
  }

  /** The mmdebstrap tarball of today, built if needed (atomically, so parallel runs are safe). */
  private static Path cachedRootfs() throws IOException {
    Files.createDirectories(CACHE);
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    Path tar = CACHE.resolve(PREFIX + today + ".tar");
    if (Files.isRegularFile(tar)) {
      return tar;
    }
    // mmdebstrap picks the output format from the extension: keep ".tar" last
    Path partial =
        CACHE.resolve(PREFIX + today + ".partial-" + ProcessHandle.current().pid() + ".tar");
    try {
      Tools.run(
          List.of("mmdebstrap", "--variant=minbase", "bookworm", partial.toString()),
          CACHE,
          Map.of(),
          Duration.ofMinutes(6));
      Files.move(partial, tar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(partial);
    }
    try (DirectoryStream<Path> old = Files.newDirectoryStream(CACHE, PREFIX + "*.tar")) {
      for (Path p : old) {
        if (!p.equals(tar) && !p.getFileName().toString().contains(".partial-")) {
          Files.deleteIfExists(p);
        }
      }
    }
    return tar;
  }
}
