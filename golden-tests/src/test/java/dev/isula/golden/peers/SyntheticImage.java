package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * A real multi-layer image made by the real tools, built once per test run and shared by the peer
 * test classes (see {@link SyntheticImageExtension}).
 *
 * <ul>
 *   <li>{@code layout:t1}: {@code umoci raw add-layer} of a GNU tar (PAX, with xattrs) of a rootfs
 *       made with shell commands: setuid/setgid files, a sticky dir, relative, absolute and
 *       dangling symlinks, a file with three names and two pairs, a fifo, {@code /dev/null}-like
 *       char device, owners 1000, 65534 and 3000000, {@code user.*} xattrs (binary, empty, on a
 *       directory), {@code trusted.*} on a symlink, a binary {@code security.capability}, a mode
 *       0000 file, a 120-char file name, a 400+ char deep path, sub-second mtimes.
 *   <li>{@code layout:t2}: {@code umoci repack} after deleting files, replacing a dir by a dir with
 *       other content, a dir by a file, a file by a dir, deleting one name of the trio, breaking a
 *       hardlink pair by rewriting one name, appending to a hardlinked file in place, chmod/chown
 *       of directories, adding an xattr.
 *   <li>{@code layout:t3}: {@code umoci repack}: a hardlink to a lower file, re-adding a deleted
 *       file, retargeted symlinks, file to symlink, device to file, a block device, chmod only,
 *       xattr removed and another added, a new setgid tree owned by 65534, a deleted deep subtree,
 *       the first name of the (now) pair replaced by a directory.
 *   <li>{@code opaque:t4}: {@code buildah commit} (overlay) of t3 with two directories removed and
 *       recreated (real {@code .wh..wh..opq} markers; one hides the target of a base-layer hardlink
 *       whose other name lives outside), the target of the cross-layer hardlink deleted (the link
 *       must survive as a file), one name of a base-layer pair deleted, a hardlinked file appended
 *       to (overlay copies up that name only: the other name keeps the old content, and unlike
 *       umoci's layers, this layer does not repeat the names it did not touch), a plain deletion
 *       and an added file.
 * </ul>
 *
 * The other transports are made from {@code opaque:t4} on demand with skopeo and podman.
 */
final class SyntheticImage implements AutoCloseable {
  static final List<String> UMOCI_TAGS = List.of("t1", "t2", "t3");
  static final String OPAQUE_TAG = "t4";

  /** Directories the buildah layer removes and recreates; each must get an opaque marker. */
  static final List<String> OPAQUE_DIRS = List.of("opt/dir1", "home/user/opq");

  final Scratch scratch;
  final ContainerTools containers;
  final Path layout;
  final Path opaqueLayout;
  private final Map<String, Path> oracles = new HashMap<>();
  private final Map<String, Path> exports = new HashMap<>();
  private final Map<String, Path> derived = new HashMap<>();
  private int counter;

  private SyntheticImage(Scratch scratch) throws IOException {
    this.scratch = scratch;
    this.containers = new ContainerTools(scratch.resolve("c"));
    this.layout = scratch.resolve("layout");
    this.opaqueLayout = scratch.resolve("opaque");
  }

  static SyntheticImage build() throws IOException {
    Scratch s = Scratch.create("isula-peers-", 256L << 20);
    SyntheticImage img = null;
    try {
      img = new SyntheticImage(s);
      img.buildBase();
      img.buildUmociLayers();
      img.buildOpaqueLayer();
      return img;
    } catch (IOException | RuntimeException | Error e) {
      try {
        if (img != null) {
          img.close();
        } else {
          s.close();
        }
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  // ---- building ----

  private static final String BASE_SCRIPT =
      """
      mkdir base
      cd base
      mkdir -p bin etc tmp home/user home/nobody opt/dir1/sub srv/repl var/lib usr/lib empty-dir
      printf 'root:x:0:0:root:/root:/bin/sh\\n' > etc/passwd
      echo hello > etc/hostname
      echo motd > etc/motd
      : > etc/empty-file
      printf '#!/bin/sh\\necho hi\\n' > bin/suidprog && chmod 4755 bin/suidprog
      printf '#!/bin/sh\\n' > bin/sgidprog && chmod 2711 bin/sgidprog
      chmod 1777 tmp
      ln -s ../etc/hostname bin/rel-link
      ln -s /etc/passwd bin/abs-link
      ln -s does/not/exist bin/dangling
      echo trio > usr/lib/trio1 && ln usr/lib/trio1 usr/lib/trio2 && ln usr/lib/trio1 usr/lib/trio3
      echo pair > usr/lib/pair1 && ln usr/lib/pair1 usr/lib/pair2
      echo inplace > usr/lib/inplace1 && ln usr/lib/inplace1 usr/lib/inplace2
      mkfifo var/lib/fifo
      mknod var/lib/null c 1 3
      echo u > home/user/file1000 && chown 1000:1000 home/user/file1000 home/user
      echo n > home/nobody/file && chown -R 65534:65534 home/nobody
      echo big-id > opt/bigid && chown 3000000:3000001 opt/bigid
      echo x > opt/xattr-file && setfattr -n user.test -v hello opt/xattr-file
      setfattr -n user.second -v 0x00ff00 opt/xattr-file
      : > opt/empty-xattr && setfattr -n user.empty opt/empty-xattr
      setfattr -n user.dirattr -v dir-value opt
      setfattr -h -n trusted.linkattr -v 1 bin/abs-link
      echo secret > opt/noperm && chmod 000 opt/noperm
      printf cap > bin/capbin && chmod 755 bin/capbin
      if [ -n "$SETCAP" ]; then
        "$SETCAP" cap_net_raw+ep bin/capbin
      else
        setfattr -n security.capability -v 0x0100000200200000000000000000000000000000 bin/capbin
      fi
      echo long > "usr/lib/$LONG"
      D=usr/share/deep
      for i in $(seq 1 24); do D="$D/level-$i-directory"; done
      mkdir -p "$D" && echo deep > "$D/deepfile"
      echo a > opt/dir1/a && echo b > opt/dir1/sub/b
      echo f > srv/repl/x && mkdir srv/repl/nested && echo y > srv/repl/nested/y
      echo tofile > srv/filetodir
      echo aaaa > opt/samesize
      echo 'with space' > 'opt/name with space'
      head -c 1500000 /dev/urandom > opt/big.bin
      mkdir home/user/opq && echo old > home/user/opq/old-1 && echo old > home/user/opq/old-2
      ln home/user/opq/old-1 home/user/zz-link
      echo keep > srv/keep-a && ln srv/keep-a srv/keep-b
      touch -h -d '2001-02-03 04:05:06.123456789' etc/motd bin/rel-link opt/big.bin
      cd ..
      tar --xattrs --xattrs-include='*' --numeric-owner --format=pax --sort=name \\
        -cf base.tar -C base .
      """;

  private static final String LAYER2_SCRIPT =
      """
      cd "$BUNDLE/rootfs"
      rm etc/passwd
      rm -rf opt/dir1 && mkdir opt/dir1 && echo new > opt/dir1/c
      rm -rf srv/repl && echo nowfile > srv/repl
      rm srv/filetodir && mkdir srv/filetodir && echo in > srv/filetodir/inner
      rm usr/lib/trio2
      cp -p usr/lib/pair1 usr/lib/pair1.new
      echo changed >> usr/lib/pair1.new && mv usr/lib/pair1.new usr/lib/pair1
      echo more >> usr/lib/inplace1
      echo added > etc/added
      chmod 0700 home/user && chown 1000:65534 home/user
      chmod 0750 var/lib
      setfattr -n user.added -v 0xdeadbeef etc/hostname
      echo layer2 > usr/lib/layer2-file
      echo bbbb > opt/samesize
      """;

  private static final String LAYER3_SCRIPT =
      """
      cd "$BUNDLE/rootfs"
      ln etc/added usr/lib/added-link
      echo back > etc/passwd
      rm bin/rel-link && ln -s ../etc/passwd bin/rel-link
      ln -s hostname etc/rel2
      rm etc/motd && ln -s hostname etc/motd
      rm var/lib/fifo
      rm var/lib/null && echo wasdev > var/lib/null
      mknod var/lib/loop0 b 7 0
      chmod 600 etc/hostname
      setfattr -x user.test opt/xattr-file
      setfattr -n user.other -v 'with space' opt/xattr-file
      mkdir -p new/dir/tree && echo n > new/dir/tree/f
      chown -R 65534:65534 new && chmod 2755 new/dir
      rm -rf usr/share/deep/level-1-directory/level-2-directory/level-3-directory
      rm usr/lib/trio1 && mkdir usr/lib/trio1 && echo sub > usr/lib/trio1/sub
      """;

  private static final String OPAQUE_SCRIPT =
      """
      cd "$MOUNT"
      rm -rf opt/dir1 && mkdir opt/dir1 && echo again > opt/dir1/d
      rm -rf home/user/opq && mkdir home/user/opq && echo fresh > home/user/opq/new
      rm etc/added
      rm etc/rel2
      rm srv/keep-a
      echo appended-in-overlay >> usr/lib/inplace1
      echo layer4 > etc/layer4
      """;

  private void buildBase() throws IOException {
    String setcap = Tools.which("setcap").map(Path::toString).orElse("");
    Tools.sh(BASE_SCRIPT, scratch.root, Tools.env("SETCAP", setcap, "LONG", "l".repeat(120)));
  }

  private void buildUmociLayers() throws IOException {
    Path root = scratch.root;
    String l = layout.toString();
    Tools.run(List.of("umoci", "init", "--layout", l), root);
    Tools.run(List.of("umoci", "new", "--image", l + ":t1"), root);
    Tools.run(
        List.of("umoci", "raw", "add-layer", "--image", l + ":t1", root.resolve("base.tar") + ""),
        root);
    editWithUmoci("t1", "t2", LAYER2_SCRIPT);
    editWithUmoci("t2", "t3", LAYER3_SCRIPT);
  }

  private void editWithUmoci(String from, String to, String script) throws IOException {
    Path bundle = scratch.resolve("bundle-" + to);
    String l = layout.toString();
    Tools.run(
        List.of("umoci", "unpack", "--image", l + ":" + from, bundle.toString()), scratch.root);
    Tools.sh(script, scratch.root, Tools.env("BUNDLE", bundle.toString()));
    Tools.run(List.of("umoci", "repack", "--image", l + ":" + to, bundle.toString()), scratch.root);
    Scratch.deleteTree(bundle);
  }

  private void buildOpaqueLayer() throws IOException {
    Path root = scratch.root;
    String name = "isula-peers-opaque";
    containers.buildah(
        root,
        "from",
        "--signature-policy",
        containers.policy().toString(),
        "--name",
        name,
        "oci:" + layout + ":t3");
    String mount = containers.buildah(root, "mount", name).lastLine();
    Path m = Path.of(mount);
    // the script runs rm -rf under this path: make sure it is the container's root and nothing else
    assertTrue(
        m.isAbsolute()
            && m.normalize().startsWith(root)
            && Files.isDirectory(m.resolve("etc"))
            && Files.isRegularFile(m.resolve("usr/lib/layer2-file")),
        "unexpected buildah mount point '" + mount + "'");
    Tools.sh(OPAQUE_SCRIPT, root, Tools.env("MOUNT", m.toString()));
    containers.buildah(root, "umount", name);
    containers.buildah(
        root,
        "commit",
        "--signature-policy",
        containers.policy().toString(),
        name,
        "oci:" + opaqueLayout + ":" + OPAQUE_TAG);
    containers.buildah(root, "rm", name);
  }

  // ---- references, oracles and exports ----

  String umociRef(String tag) {
    return "oci:" + layout + ":" + tag;
  }

  String opaqueRef() {
    return "oci:" + opaqueLayout + ":" + OPAQUE_TAG;
  }

  /** {@code umoci raw unpack --image LAYOUT:TAG DIR}, made once per image. */
  synchronized Path oracle(Path ociLayout, String tag) throws IOException {
    String key = ociLayout + ":" + tag;
    Path dir = oracles.get(key);
    if (dir == null) {
      dir = scratch.resolve("umoci-unpack-" + (++counter));
      Tools.run(
          List.of("umoci", "raw", "unpack", "--image", key, dir.toString()),
          scratch.root,
          Map.of(),
          Tools.DEFAULT_TIMEOUT);
      oracles.put(key, dir);
    }
    return dir;
  }

  /** Our rootfs export of {@code reference}, made once per reference. */
  synchronized Path export(String reference) throws IOException {
    Path out = exports.get(reference);
    if (out == null) {
      out = scratch.resolve("export-" + (++counter) + ".tar");
      exportRootfs(reference, out);
      exports.put(reference, out);
    }
    return out;
  }

  static void exportRootfs(String reference, Path out) throws IOException {
    try (ImageSource src = FormatRegistry.load().open(reference, ReadOptions.defaults())) {
      RootfsExporter.create(Compression.NONE, 2, null).exportTo(src.image(), out);
    } catch (IsulaException e) {
      throw new AssertionError("export of " + reference + " failed: " + e.getMessage(), e);
    }
  }

  /** {@code skopeo copy oci:opaque:t4 docker-archive:x.tar:test:v1}. */
  synchronized Path skopeoDockerArchive() throws IOException {
    return derive(
        "docker-archive.tar",
        p ->
            containers.skopeo(
                scratch.root, "copy", "-q", opaqueRef(), "docker-archive:" + p + ":test:v1"));
  }

  /** {@code skopeo copy oci:opaque:t4 oci-archive:y.tar:v1}. */
  synchronized Path skopeoOciArchive() throws IOException {
    return derive(
        "oci-archive.tar",
        p ->
            containers.skopeo(scratch.root, "copy", "-q", opaqueRef(), "oci-archive:" + p + ":v1"));
  }

  /** {@code skopeo copy --dest-compress-format zstd oci:opaque:t4 oci:zstd:t4}. */
  synchronized Path skopeoZstdLayout() throws IOException {
    return derive(
        "zstd",
        p ->
            containers.skopeo(
                scratch.root,
                "copy",
                "-q",
                "--dest-compress",
                "--dest-compress-format",
                "zstd",
                opaqueRef(),
                "oci:" + p + ":" + OPAQUE_TAG));
  }

  /**
   * {@code podman load} of the skopeo docker-archive, then {@code podman save -o p.tar test:v1}.
   */
  synchronized Path podmanSavedArchive() throws IOException {
    Path source = skopeoDockerArchive();
    return derive(
        "podman-save.tar",
        p -> {
          containers.podman(
              scratch.root,
              "load",
              "--signature-policy",
              containers.policy().toString(),
              "-q",
              "-i",
              source.toString());
          containers.podman(
              scratch.root, "save", "--format", "docker-archive", "-o", p.toString(), "test:v1");
        });
  }

  private interface Maker {
    void make(Path p) throws IOException;
  }

  private Path derive(String name, Maker maker) throws IOException {
    Path p = derived.get(name);
    if (p == null) {
      p = scratch.resolve(name);
      maker.make(p);
      derived.put(name, p);
    }
    return p;
  }

  // ---- reading layers back ----

  /**
   * The entries of one layer of {@code ociLayout:tag}, read from the blob with our TarReader (gzip
   * or uncompressed; the layouts here hold nothing else).
   */
  static List<TarEntry> layerEntries(Path ociLayout, String tag, int layerIndex)
      throws IOException {
    JsonNode layerDesc = manifest(ociLayout, tag).get("layers").get(layerIndex);
    String mediaType = layerDesc.get("mediaType").asText();
    Path blob = blob(ociLayout, layerDesc.get("digest").asText());
    List<TarEntry> result = new ArrayList<>();
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(blob), 1 << 16);
        InputStream in = mediaType.endsWith("+gzip") ? new GZIPInputStream(raw, 1 << 16) : raw) {
      if (!mediaType.endsWith(".tar") && !mediaType.endsWith("+gzip")) {
        throw new AssertionError("layer media type not handled by the test: " + mediaType);
      }
      TarReader r = new TarReader(in);
      TarEntry e;
      while ((e = r.next()) != null) {
        result.add(e);
      }
    } catch (IsulaException e) {
      throw new AssertionError("cannot read layer " + blob + ": " + e.getMessage(), e);
    }
    return result;
  }

  static int layerCount(Path ociLayout, String tag) throws IOException {
    return manifest(ociLayout, tag).get("layers").size();
  }

  static JsonNode manifest(Path ociLayout, String tag) throws IOException {
    ObjectMapper om = new ObjectMapper();
    JsonNode index = om.readTree(ociLayout.resolve("index.json").toFile());
    for (JsonNode m : index.get("manifests")) {
      JsonNode ann = m.get("annotations");
      if (ann != null && tag.equals(ann.path("org.opencontainers.image.ref.name").asText())) {
        return om.readTree(blob(ociLayout, m.get("digest").asText()).toFile());
      }
    }
    throw new AssertionError("no manifest tagged " + tag + " in " + ociLayout);
  }

  static Path blob(Path ociLayout, String digest) {
    int colon = digest.indexOf(':');
    return ociLayout
        .resolve("blobs")
        .resolve(digest.substring(0, colon))
        .resolve(digest.substring(colon + 1));
  }

  @Override
  public void close() throws IOException {
    try {
      containers.close();
    } finally {
      scratch.close();
    }
  }
}
