package dev.isula.golden;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.testing.OciLayoutWriter;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small catalogue of deterministic sample images, built by code, that together exercise every
 * rule of flattening layers into one root filesystem: whiteouts of files and directories, opaque
 * directories (marker before and after the layer's own children), a directory replaced by a file
 * and the reverse, a directory whited out and re-added, hardlinks whose target survives, is deleted
 * or is replaced, symlinks, fifos, devices, setuid/setgid/sticky modes, owners with names, binary
 * extended attributes, long and non-ASCII names, sub-second mtimes, {@code ./} and {@code //} in
 * names, layers stored uncompressed, gzip'd and zstd'd, and a multi-platform index with an
 * attestation entry.
 *
 * <p>Each sample can be written in every input format the toolkit reads. Building a sample twice
 * gives byte-identical files.
 */
public final class SampleImages {
  /** The tag samples carry in OCI layouts ({@code org.opencontainers.image.ref.name}). */
  public static final String OCI_TAG = "v1";

  /** Layer mtimes: every layer gets its own, so the listing shows which layer won a path. */
  static final long T0 = TarBuilder.MTIME;

  static final long T1 = TarBuilder.MTIME + 86_400;
  static final long T2 = TarBuilder.MTIME + 2 * 86_400;

  /**
   * {@code security.capability} granting cap_net_raw (VFS_CAP_REVISION_2, effective): 20 bytes,
   * most of them zero, so it only survives if extended attributes are kept as raw bytes.
   */
  static final byte[] CAP_NET_RAW = {
    0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00
  };

  /** cap_net_bind_service + cap_net_admin, for the upper-layer copy. */
  static final byte[] CAP_NET_ADMIN_BIND = {
    0x01, 0x00, 0x00, 0x02, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00
  };

  /** A single path component longer than ustar's 100-byte name field: needs a PAX path. */
  static final String LONG_COMPONENT =
      "a-file-name-that-is-deliberately-longer-than-the-one-hundred-byte-ustar-name-field-"
          + "so-it-needs-a-pax-path.txt";

  /** A path over 100 bytes made of short components: fits ustar's prefix + name split. */
  static final String LONG_SPLITTABLE_PATH =
      "usr/share/doc/isula-sample/examples/configuration/advanced/networking/overlay/"
          + "with-long-paths/README.md";

  /** A UTF-8 name with Latin and CJK characters (needs a PAX path record). */
  static final String UTF8_NAME = "home/alice/café/naïve-日本語.txt";

  private SampleImages() {}

  /** The input formats a sample can be written in, each with the reference that opens it. */
  enum InputFormat {
    OCI_LAYOUT("oci-layout") {
      @Override
      String write(Sample s, Path dir) throws IOException {
        Path p = dir.resolve(s.name() + "-layout");
        s.writeOciLayout(p);
        return "oci:" + p + ":" + OCI_TAG;
      }
    },
    OCI_ARCHIVE("oci-archive") {
      @Override
      String write(Sample s, Path dir) throws IOException {
        Path p = dir.resolve(s.name() + "-oci.tar");
        s.writeOciArchive(p);
        return "oci-archive:" + p + ":" + OCI_TAG;
      }
    },
    DOCKER_ARCHIVE("docker-archive") {
      @Override
      String write(Sample s, Path dir) throws IOException {
        Path p = dir.resolve(s.name() + "-docker.tar");
        s.writeDockerArchive(p);
        return "docker-archive:" + p;
      }
    },
    DOCKER25_ARCHIVE("docker25-archive") {
      @Override
      String write(Sample s, Path dir) throws IOException {
        Path p = dir.resolve(s.name() + "-docker25.tar");
        s.writeDocker25Archive(p);
        return "docker-archive:" + p;
      }
    };

    final String label;

    InputFormat(String label) {
      this.label = label;
    }

    /** Writes {@code s} under {@code dir} in this format; returns the image reference. */
    abstract String write(Sample s, Path dir) throws IOException;
  }

  /**
   * One sample image.
   *
   * @param image what a single-image archive of this sample holds (for the multi-platform sample:
   *     its linux/amd64 image)
   * @param ociLayout the files of the OCI layout (for a multi-platform sample: the whole index);
   *     null means the layout of {@link #image} alone
   * @param exportOptions extra {@code isula export} options needed to get {@link #image}
   */
  public record Sample(
      String name,
      String description,
      String repoTag,
      TestImage image,
      Map<String, byte[]> ociLayout,
      List<String> exportOptions) {

    public Map<String, byte[]> ociLayoutFiles() {
      return ociLayout != null
          ? ociLayout
          : OciLayoutWriter.files(List.of(new OciLayoutWriter.Entry(image, OCI_TAG, false)));
    }

    public void writeOciLayout(Path dir) throws IOException {
      if (ociLayout == null) {
        image.writeOciLayout(dir, OCI_TAG);
        return;
      }
      for (Map.Entry<String, byte[]> f : ociLayout.entrySet()) {
        Path p = dir.resolve(f.getKey());
        Files.createDirectories(p.getParent());
        Files.write(p, f.getValue());
      }
    }

    public void writeOciArchive(Path file) throws IOException {
      if (ociLayout == null) {
        image.writeOciArchive(file, OCI_TAG);
        return;
      }
      TestImage.writeTar(file, ociLayout);
    }

    public void writeDockerArchive(Path file) throws IOException {
      image.writeDockerArchive(file, repoTag);
    }

    /**
     * Docker 25's archive: manifest.json beside an OCI layout. For a multi-platform sample the
     * layout keeps the whole index, as {@code docker save} with the containerd store does, while
     * manifest.json lists the one platform that was saved.
     */
    public void writeDocker25Archive(Path file) throws IOException {
      if (ociLayout == null) {
        image.writeDocker25Archive(file, repoTag);
        return;
      }
      Map<String, byte[]> files = new LinkedHashMap<>();
      byte[] config = image.configBytes();
      files.put("blobs/sha256/" + Digest.sha256(config).hex(), config);
      for (byte[] t : image.tars()) {
        files.put("blobs/sha256/" + Digest.sha256(t).hex(), t);
      }
      files.putAll(ociLayout);
      files.put(
          "manifest.json",
          TestImage.dockerManifest(List.of(image), List.of(List.of(repoTag)), true));
      TestImage.writeTar(file, files);
    }
  }

  /** Every sample, in a stable order. */
  public static List<Sample> all() {
    return List.of(whiteouts(), hardlinks(), specialFiles(), multiPlatform(), hello());
  }

  public static Sample byName(String name) {
    return all().stream()
        .filter(s -> s.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no sample " + name));
  }

  public static List<String> names() {
    return all().stream().map(Sample::name).toList();
  }

  // ---------------------------------------------------------------- whiteouts

  /**
   * Whiteouts and opaque directories over three layers stored uncompressed, gzip'd and zstd'd. The
   * bottom layer names entries {@code ./x} (as docker does), the middle one {@code x}, the top one
   * with doubled slashes: all must be recognised as the same paths.
   */
  static Sample whiteouts() {
    TarBuilder l0 = TarBuilder.tar();
    l0.dir("./");
    l0.dir("./etc/");
    l0.file("./etc/hostname", "base\n");
    l0.file("./etc/remove-me", "deleted by a whiteout in layer 1\n");
    l0.file("./etc/conf", "a file that layer 1 turns into a directory\n");
    l0.dir("./usr/");
    l0.dir("./usr/share/");
    l0.dir("./usr/share/doc/");
    l0.file("./usr/share/doc/README", "gone with its directory\n");
    l0.dir("./usr/lib64/");
    l0.file("./usr/lib64/libc.so.6", "hidden: layer 1 makes lib64 a symlink\n");
    l0.dir("./usr/lib/");
    l0.dir("./usr/share/doc/sub/");
    l0.file("./usr/share/doc/sub/LICENSE", "gone with its grandparent\n");
    l0.dir("./var/");
    l0.dir("./var/cache/");
    l0.dir("./var/cache/old/");
    l0.file("./var/cache/old/a", "whited-out directory content\n");
    l0.dir("./var/cache/old/sub/");
    l0.file("./var/cache/old/sub/b", "whited-out directory content, deeper\n");
    l0.file("./var/cache/keep", "survives next to a whited-out directory\n");
    l0.whiteout("./var/cache/nothing-below"); // in the bottom layer: hides nothing, dropped
    l0.opaque("./var/cache"); // likewise
    l0.dir("./var/lib/");
    l0.dir("./var/lib/pkg/");
    l0.file("./var/lib/pkg/stale", "hidden: pkg is whited out and re-added in layer 1\n");
    l0.dir("./var/lib/db/");
    l0.file("./var/lib/db/stale", "hidden: db is whited out in layer 1, re-added in layer 2\n");
    l0.dir("./opt/");
    l0.dir("./opt/app/");
    l0.file("./opt/app/old-1", "hidden by an opaque marker\n");
    l0.dir("./opt/app/old-dir/");
    l0.file("./opt/app/old-dir/old-2", "hidden by an opaque marker, deeper\n");
    l0.dir("./srv/");
    l0.dir("./srv/www/");
    l0.file("./srv/www/old.html", "hidden by an opaque marker written after the children\n");
    l0.dir("./srv/cache/", 0700);
    l0.file("./srv/cache/entry", "hidden by an opaque marker whose directory has no entry\n");
    l0.dir("./home/");
    add(
        l0,
        TarBuilder.base("./home/user/")
            .type(EntryType.DIRECTORY)
            .mode(0700)
            .uid(1000)
            .gid(1000)
            .uname("user")
            .gname("user"),
        "");
    add(
        l0,
        TarBuilder.base("./home/user/.profile").uid(1000).gid(1000).uname("user").gname("user"),
        "export PS1='$ '\n");
    add(
        l0,
        TarBuilder.base("./home/user/.bashrc").uid(1000).gid(1000).uname("user").gname("user"),
        "alias ll='ls -l'\n");

    TarBuilder l1 = TarBuilder.tar();
    add(l1, at(TarBuilder.base("etc/"), T1).type(EntryType.DIRECTORY).mode(0750), "");
    l1.whiteout("etc/remove-me");
    add(l1, at(TarBuilder.base("etc/hostname"), T1), "layer 1\n");
    add(l1, at(TarBuilder.base("etc/conf/"), T1).type(EntryType.DIRECTORY).mode(0755), "");
    add(l1, at(TarBuilder.base("etc/conf/main.cf"), T1), "hidden by layer 2's opaque marker\n");
    add(l1, at(TarBuilder.base("usr/share/doc"), T1), "a directory in layer 0, a file now\n");
    add(
        l1,
        at(TarBuilder.base("usr/lib64"), T1).type(EntryType.SYMLINK).mode(0777).linkName("lib"),
        "");
    l1.whiteout("var/cache/old");
    l1.whiteout("var/lib/pkg");
    add(l1, at(TarBuilder.base("var/lib/pkg/"), T1).type(EntryType.DIRECTORY).mode(0700), "");
    add(l1, at(TarBuilder.base("var/lib/pkg/fresh"), T1), "re-added in the same layer\n");
    l1.whiteout("var/lib/db");
    add(l1, at(TarBuilder.base("opt/app/"), T1).type(EntryType.DIRECTORY).mode(0755), "");
    l1.opaque("opt/app");
    add(l1, at(TarBuilder.base("opt/app/new-1"), T1), "after the opaque marker: kept\n");
    add(l1, at(TarBuilder.base("srv/www/"), T1).type(EntryType.DIRECTORY).mode(0755), "");
    add(l1, at(TarBuilder.base("srv/www/index.html"), T1), "before the opaque marker: kept\n");
    add(l1, at(TarBuilder.base("srv/www/style.css"), T1), "deleted again in layer 2\n");
    l1.opaque("srv/www");
    l1.opaque("srv/cache"); // no entry for srv/cache itself: it keeps layer 0's attributes
    l1.whiteout("etc/never-existed");
    // AUFS bookkeeping: never part of the filesystem
    l1.file(".wh..wh.aufs", "");
    l1.dir(".wh..wh.plnk");
    l1.file(".wh..wh.plnk/1234.5678", "aufs hardlink bookkeeping\n");

    TarBuilder l2 = TarBuilder.tar();
    add(l2, at(TarBuilder.base("./var//lib//db/"), T2).type(EntryType.DIRECTORY).mode(0711), "");
    add(l2, at(TarBuilder.base("./var//lib//db//new"), T2), "re-added one layer later\n");
    l2.whiteout("srv//www/style.css");
    l2.whiteout("home//user/.profile");
    l2.opaque("./etc//conf");
    add(l2, at(TarBuilder.base("etc//conf/other.cf"), T2), "after layer 2's opaque marker\n");

    TestImage img =
        TestImage.image()
            .layer(l0.build(), Compression.NONE)
            .layer(l1.build(), Compression.GZIP)
            .layer(l2.build(), Compression.ZSTD)
            .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .cmd("/bin/sh", "-c", "cat /etc/hostname");
    return new Sample(
        "whiteouts",
        "whiteouts, opaque directories, replaced and re-added paths over none/gzip/zstd layers",
        "isula-sample/whiteouts:1",
        img,
        null,
        List.of());
  }

  // ---------------------------------------------------------------- hardlinks

  /**
   * Hardlinks in the bottom and in upper layers whose target is kept, deleted (the first surviving
   * link becomes the file, later links point at it) or replaced (the link keeps the old content).
   */
  static Sample hardlinks() {
    TarBuilder l0 = TarBuilder.tar();
    l0.dir("bin");
    l0.file("bin/busybox", bytes("busybox, the multi-call binary\n"), 0755);
    l0.hardlink("bin/sh", "bin/busybox");
    l0.hardlink("bin/ls", "bin/busybox");
    l0.dir("lib");
    l0.file("lib/kept", "target that survives\n");
    l0.hardlink("lib/kept-link", "lib/kept");
    l0.hardlink("./lib/dot-link", "./lib/kept");
    l0.hardlink("lib/slash-link", "/lib/kept");
    l0.file("lib/replaced", "content before layer 1 replaced the target\n");
    l0.hardlink("lib/replaced-link", "lib/replaced");
    add(
        l0,
        TarBuilder.base("lib/gone").mode(0600).uid(7).gid(8).uname("lp").gname("mail"),
        "target that layer 1 deletes\n");
    l0.hardlink("lib/gone-link", "lib/gone");
    l0.file("lib/becomes-dir", "a file that layer 1 replaces by a directory\n");
    l0.hardlink("lib/becomes-dir-link", "lib/becomes-dir");
    l0.symlink("lib/symlink", "kept");
    l0.hardlink("lib/symlink-link", "lib/symlink"); // a hardlink to a symlink

    TarBuilder l1 = TarBuilder.tar();
    l1.whiteout("bin/busybox");
    add(l1, at(TarBuilder.base("lib/replaced"), T1), "content of the replacement\n");
    l1.whiteout("lib/gone");
    add(l1, at(TarBuilder.base("lib/becomes-dir/"), T1).type(EntryType.DIRECTORY).mode(0755), "");
    add(l1, at(TarBuilder.base("lib/becomes-dir/inside"), T1), "in the directory\n");
    l1.whiteout("lib/symlink");
    add(l1, at(TarBuilder.base("usr/"), T1).type(EntryType.DIRECTORY).mode(0755), "");
    add(l1, at(TarBuilder.base("usr/bin/"), T1).type(EntryType.DIRECTORY).mode(0755), "");
    add(l1, at(TarBuilder.base("usr/bin/python3.11"), T1).mode(0755), "python, deleted later\n");
    add(
        l1,
        at(TarBuilder.base("usr/bin/python3"), T1)
            .type(EntryType.HARDLINK)
            .linkName("usr/bin/python3.11"),
        "");
    add(l1, at(TarBuilder.base("usr/bin/pip"), T1).mode(0755), "pip before layer 2\n");
    add(
        l1,
        at(TarBuilder.base("usr/bin/pip3"), T1).type(EntryType.HARDLINK).linkName("usr/bin/pip"),
        "");
    add(
        l1,
        at(TarBuilder.base("usr/bin/kept-too"), T1).type(EntryType.HARDLINK).linkName("lib/kept"),
        "");

    TarBuilder l2 = TarBuilder.tar();
    l2.whiteout("usr/bin/python3.11");
    add(l2, at(TarBuilder.base("usr/bin/pip"), T2).mode(0755), "pip from layer 2\n");

    TestImage img =
        TestImage.image()
            .layer(l0.build(), Compression.GZIP)
            .layer(l1.build(), Compression.NONE)
            .layer(l2.build(), Compression.ZSTD)
            .cmd("/bin/sh");
    return new Sample(
        "hardlinks",
        "hardlinks whose target is kept, deleted or replaced, in bottom and upper layers",
        "isula-sample/hardlinks:1",
        img,
        null,
        List.of());
  }

  // ---------------------------------------------------------------- special files

  /**
   * Everything but regular files and directories, and every attribute a rootfs must keep: symlinks,
   * a fifo, devices, setuid/setgid/sticky, owners with names and ids beyond ustar's range, binary
   * extended attributes, long and UTF-8 names, sub-second mtimes, and parents with no entry.
   */
  static Sample specialFiles() {
    TarBuilder l0 = TarBuilder.tar();
    l0.dir("bin");
    l0.file("bin/sh", bytes("#!shell\n"), 0755);
    // usr/ and usr/bin/ have no entries of their own: the export must create them
    l0.file("usr/bin/passwd", bytes("setuid root\n"), 04755);
    add(l0, TarBuilder.base("usr/bin/wall").mode(02755).gid(5).gname("tty"), "setgid tty\n");
    add(
        l0,
        TarBuilder.base("usr/bin/ping").mode(0755).xattr("security.capability", CAP_NET_RAW),
        "ping with cap_net_raw instead of setuid\n");
    add(
        l0,
        TarBuilder.base("usr/local/").type(EntryType.DIRECTORY).mode(02775).gid(50).gname("staff"),
        "");
    l0.dir("tmp", 01777);
    l0.dir("dev");
    l0.charDevice("dev/null", 1, 3);
    add(l0, TarBuilder.base("dev/console").type(EntryType.CHAR_DEVICE).mode(0600).device(5, 1), "");
    add(
        l0,
        TarBuilder.base("dev/sda")
            .type(EntryType.BLOCK_DEVICE)
            .mode(0660)
            .gid(6)
            .gname("disk")
            .device(8, 0),
        "");
    l0.dir("run");
    add(l0, TarBuilder.base("run/initctl").type(EntryType.FIFO).mode(0600), "");
    l0.dir("lib");
    l0.file("lib/libfoo.so.1.2.3", bytes("\u007fELF shared object\n"), 0755);
    l0.symlink("lib/libfoo.so.1", "libfoo.so.1.2.3");
    l0.symlink("lib/libfoo.so", "./libfoo.so.1");
    l0.dir("etc");
    l0.symlink("etc/localtime", "/usr/share/zoneinfo/UTC");
    l0.symlink("etc/mtab", "../proc/self/mounts");
    l0.dir("home");
    add(
        l0,
        TarBuilder.base("home/alice/")
            .type(EntryType.DIRECTORY)
            .mode(0750)
            .uid(1000)
            .gid(1000)
            .uname("alice")
            .gname("alice"),
        "");
    add(
        l0,
        TarBuilder.base("home/alice/notes.txt")
            .mode(0640)
            .uid(1000)
            .gid(100)
            .uname("alice")
            .gname("users")
            .mtime(T0, 123_456_789),
        "mtime with nanoseconds\n");
    add(l0, alice(TarBuilder.base("home/alice/" + LONG_COMPONENT)), "long single component\n");
    add(l0, alice(TarBuilder.base(UTF8_NAME)), "non-ASCII name\n");
    add(
        l0,
        alice(TarBuilder.base("home/alice/utf8-link"))
            .type(EntryType.SYMLINK)
            .mode(0777)
            .linkName(UTF8_NAME.substring("home/alice/".length())),
        "");
    add(
        l0,
        alice(TarBuilder.base("home/alice/long-link"))
            .type(EntryType.SYMLINK)
            .mode(0777)
            .linkName("/home/alice/" + LONG_COMPONENT),
        "");
    add(l0, alice(TarBuilder.base("home/alice/.hushlogin")).mtime(T0, 123_456_789), "");
    l0.file(LONG_SPLITTABLE_PATH, "long path of short components\n");
    add(
        l0,
        TarBuilder.base("srv/big-ids")
            .uid(3_000_000)
            .gid(4_000_000)
            .uname("a-user-name-longer-than-32-bytes-x")
            .gname("grp"),
        "ids beyond ustar's octal fields\n");
    add(
        l0,
        TarBuilder.base("var/log/app.log")
            .mode(0640)
            .mtime(T0, 500_000_000)
            .xattr("user.comment", bytes("plain text value")),
        "half a second\n");

    TarBuilder l1 = TarBuilder.tar();
    add(l1, at(TarBuilder.base("tmp/"), T1).type(EntryType.DIRECTORY).mode(01777), "");
    add(
        l1,
        at(TarBuilder.base("etc/localtime"), T1)
            .type(EntryType.SYMLINK)
            .mode(0777)
            .linkName("/usr/share/zoneinfo/Europe/Paris"),
        "");
    add(
        l1,
        at(TarBuilder.base("usr/sbin/arping"), T1)
            .mode(0750)
            .gid(4)
            .gname("adm")
            .xattr("security.capability", CAP_NET_ADMIN_BIND)
            .xattr("user.origin", bytes("layer 1")),
        "xattrs from an upper layer\n");
    add(l1, at(TarBuilder.base("lib/libfoo.so"), T1), "a symlink in layer 0, a regular file now\n");
    add(
        l1,
        at(TarBuilder.base("run/initctl"), T1).type(EntryType.FIFO).mode(0620).gid(5).gname("tty"),
        "");
    add(
        l1,
        at(TarBuilder.base("home/alice/notes.txt"), T1)
            .mode(0600)
            .uid(1000)
            .gid(1000)
            .uname("alice")
            .gname("alice")
            .mtime(T1, 1),
        "rewritten: one nanosecond past the second\n");

    TestImage img =
        TestImage.image()
            .layer(l0.build(), Compression.ZSTD)
            .layer(l1.build(), Compression.GZIP)
            .env("HOME", "/home/alice")
            .cmd("/bin/sh");
    return new Sample(
        "special-files",
        "symlinks, fifo, devices, special modes, owners, xattrs, long/UTF-8 names, mtimes",
        "isula-sample/special-files:1",
        img,
        null,
        List.of());
  }

  // ---------------------------------------------------------------- multi-platform

  /** One platform's image of the multi-platform sample. */
  public static TestImage platformImage(String arch, String variant, String uname) {
    String platform = "linux/" + arch + (variant == null ? "" : "/" + variant);
    TarBuilder l0 = TarBuilder.tar();
    l0.dir("bin");
    l0.file("bin/uname-m", bytes("#!/bin/sh\necho " + uname + "\n"), 0755);
    l0.dir("etc");
    l0.file("etc/os-release", "ID=isula-sample\nVERSION_ID=1\n");
    TarBuilder l1 = TarBuilder.tar();
    add(l1, at(TarBuilder.base("etc/platform"), T1), platform + "\n");
    return TestImage.image()
        .platform("linux", arch, variant)
        .layer(l0.build(), Compression.GZIP)
        .layer(l1.build(), Compression.ZSTD)
        .cmd("/bin/uname-m");
  }

  /**
   * One image for linux/amd64 and linux/arm64/v8 behind an OCI image index, plus a buildkit-style
   * attestation manifest for the amd64 image (platform unknown/unknown), which is no runnable image
   * and must never be picked.
   */
  static Sample multiPlatform() {
    TestImage amd64 = platformImage("amd64", null, "x86_64");
    TestImage arm64 = platformImage("arm64", "v8", "aarch64");
    return new Sample(
        "multi-platform",
        "an OCI index of linux/amd64 and linux/arm64/v8 with an attestation; amd64 exported",
        "isula-sample/multi-platform:1",
        amd64,
        multiPlatformLayout(amd64, arm64),
        List.of("--platform", "linux/amd64"));
  }

  /** The files of an OCI layout whose index.json points at an image index of both images. */
  static Map<String, byte[]> multiPlatformLayout(TestImage amd64, TestImage arm64) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("oci-layout", bytes("{\"imageLayoutVersion\":\"1.0.0\"}"));
    amd64.blobs().forEach((hex, b) -> files.put("blobs/sha256/" + hex, b));
    arm64.blobs().forEach((hex, b) -> files.put("blobs/sha256/" + hex, b));

    // the attestation: an in-toto statement about the amd64 manifest
    byte[] amd64Manifest = amd64.manifestBytes();
    byte[] statement =
        bytes(
            "{\"_type\":\"https://in-toto.io/Statement/v0.1\","
                + "\"predicateType\":\"https://slsa.dev/provenance/v0.2\","
                + "\"subject\":[{\"name\":\"isula-sample\",\"digest\":{\"sha256\":\""
                + Digest.sha256(amd64Manifest).hex()
                + "\"}}],\"predicate\":{}}");
    byte[] attConfig = bytes("{\"architecture\":\"unknown\",\"os\":\"unknown\",\"rootfs\":{}}");
    ObjectNode att = JsonNodeFactory.instance.objectNode();
    att.put("schemaVersion", 2);
    att.put("mediaType", MediaTypes.OCI_MANIFEST);
    att.set("config", descriptor(MediaTypes.OCI_CONFIG, attConfig));
    ObjectNode layer = descriptor("application/vnd.in-toto+json", statement);
    layer
        .putObject("annotations")
        .put("in-toto.io/predicate-type", "https://slsa.dev/provenance/v0.2");
    att.putArray("layers").add(layer);
    byte[] attManifest = Json.compact(att);
    files.put("blobs/sha256/" + Digest.sha256(attConfig).hex(), attConfig);
    files.put("blobs/sha256/" + Digest.sha256(statement).hex(), statement);
    files.put("blobs/sha256/" + Digest.sha256(attManifest).hex(), attManifest);

    ObjectNode index = JsonNodeFactory.instance.objectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    ObjectNode a = descriptor(MediaTypes.OCI_MANIFEST, amd64Manifest);
    a.putObject("platform").put("architecture", "amd64").put("os", "linux");
    manifests.add(a);
    ObjectNode r = descriptor(MediaTypes.OCI_MANIFEST, arm64.manifestBytes());
    r.putObject("platform").put("architecture", "arm64").put("os", "linux").put("variant", "v8");
    manifests.add(r);
    ObjectNode t = descriptor(MediaTypes.OCI_MANIFEST, attManifest);
    t.putObject("platform").put("architecture", "unknown").put("os", "unknown");
    t.putObject("annotations")
        .put("vnd.docker.reference.digest", Digest.sha256(amd64Manifest).toString())
        .put("vnd.docker.reference.type", "attestation-manifest");
    manifests.add(t);
    byte[] indexBytes = Json.compact(index);
    files.put("blobs/sha256/" + Digest.sha256(indexBytes).hex(), indexBytes);

    ObjectNode top = JsonNodeFactory.instance.objectNode();
    top.put("schemaVersion", 2);
    top.put("mediaType", MediaTypes.OCI_INDEX);
    ObjectNode d = descriptor(MediaTypes.OCI_INDEX, indexBytes);
    d.putObject("annotations").put("org.opencontainers.image.ref.name", OCI_TAG);
    top.putArray("manifests").add(d);
    files.put("index.json", Json.compact(top));
    return files;
  }

  // ---------------------------------------------------------------- hello (README sample)

  /**
   * The image bundled as {@code samples/hello.tar}: two small layers that look like a real
   * distribution image; the second deletes a file with a whiteout and adds one.
   */
  static TestImage helloImage() {
    TarBuilder l0 = TarBuilder.tar();
    l0.dir("bin");
    l0.file(
        "bin/hello",
        bytes(
            "#!/bin/sh\n"
                + "# Greets whoever runs the isula-sample image.\n"
                + ". /etc/os-release\n"
                + "cat /etc/motd\n"
                + "echo \"Hello from $PRETTY_NAME, ${1:-world}!\"\n"),
        0755);
    l0.dir("etc");
    l0.file(
        "etc/os-release",
        "PRETTY_NAME=\"isula sample 1.0\"\n"
            + "NAME=\"isula sample\"\n"
            + "ID=isula-sample\n"
            + "VERSION_ID=1.0\n"
            + "HOME_URL=\"https://example.invalid/isula-sample\"\n");
    l0.file("etc/motd", "Welcome to the isula sample image.\n");
    l0.file("etc/issue", "isula sample 1.0 \\n \\l\n");
    l0.file("etc/hostname", "sample\n");
    l0.dir("tmp", 01777);
    l0.dir("usr");
    l0.dir("usr/share");
    l0.dir("usr/share/doc");
    l0.dir("usr/share/doc/hello");
    l0.file(
        "usr/share/doc/hello/README",
        "hello: prints a greeting. This image is a sample for 'isula export'.\n");

    TarBuilder l1 = TarBuilder.tar();
    add(l1, at(TarBuilder.base("etc/"), T1).type(EntryType.DIRECTORY).mode(0755), "");
    l1.whiteout("etc/issue");
    add(
        l1,
        at(TarBuilder.base("etc/motd"), T1),
        "Welcome to the isula sample image (layer 2 edition).\n");
    add(
        l1,
        at(TarBuilder.base("etc/hello.conf"), T1),
        "# read by nobody; shows a file added by the second layer\ngreeting=hello\n");
    return TestImage.image()
        .layer(l0.build(), Compression.GZIP)
        .layer(l1.build(), Compression.GZIP)
        .env("PATH", "/bin:/usr/bin")
        .cmd("/bin/hello");
  }

  static final String HELLO_REPO_TAG = "isula-sample:latest";

  static Sample hello() {
    return new Sample(
        "hello",
        "the README sample: a realistic two-layer image, bundled as samples/hello.tar",
        HELLO_REPO_TAG,
        helloImage(),
        null,
        List.of());
  }

  // ---------------------------------------------------------------- helpers

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Adds a regular file (or, for other types, an entry without content). */
  static void add(TarBuilder t, TarEntry.Builder b, String content) {
    byte[] c = bytes(content);
    TarEntry probe = b.build();
    if (probe.type() == EntryType.FILE) {
      t.entry(b.size(c.length).build(), c);
    } else {
      if (c.length != 0) {
        throw new IllegalArgumentException("content for a non-file " + probe.name());
      }
      t.entry(probe, c);
    }
  }

  private static TarEntry.Builder alice(TarEntry.Builder b) {
    return b.uid(1000).gid(1000).uname("alice").gname("alice");
  }

  private static TarEntry.Builder at(TarEntry.Builder b, long mtime) {
    return b.mtimeSeconds(mtime);
  }

  private static ObjectNode descriptor(String mediaType, byte[] content) {
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    d.put("mediaType", mediaType);
    d.put("digest", Digest.sha256(content).toString());
    d.put("size", content.length);
    return d;
  }
}
