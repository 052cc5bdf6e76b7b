package dev.isula.golden.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docker:// against a real, plain-HTTP registry (Debian's docker-registry), with skopeo as the
 * independent client: what skopeo pushes we export byte for byte like its source; what we push
 * skopeo reads, with the manifest digest of the source; multi-platform indexes, Docker v2
 * manifests, HEAD skips and cross-repository mounts, counted in the registry's own request log.
 */
@Tag("peers")
class RegistryRoundTripTest {
  @TempDir static Path work;
  static LocalRegistry registry;
  static Path layout;
  static byte[] expected;
  static final String INSECURE = "--tls-verify=false";

  @BeforeAll
  static void start() throws Exception {
    LocalRegistry.requireInstalled();
    registry = LocalRegistry.plain(work.resolve("registry"));
    layout = RegistryImages.layout(work.resolve("layout"), RegistryImages.sample("one"), "v1");
    expected = RegistryImages.export(work, "oci:" + layout + ":v1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (registry != null) {
      registry.close();
    }
  }

  private static String ref(String repoTag) {
    return "docker://" + registry.host() + "/" + repoTag;
  }

  private static void skopeoCopy(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("skopeo", "copy", "-q"));
    cmd.addAll(List.of(args));
    Exec.Result r = Exec.run(cmd);
    assertEquals(0, r.exit(), r::toString);
  }

  @Test
  void whatSkopeoPushesExportsLikeItsSource() throws Exception {
    skopeoCopy("--dest-tls-verify=false", "oci:" + layout + ":v1", ref("rt/skopeo:v1"));
    assertArrayEquals(expected, RegistryImages.export(work, ref("rt/skopeo:v1"), INSECURE));
    // by digest, too: the digest of what skopeo stored
    String digest = RegistryImages.registryManifestDigest(ref("rt/skopeo:v1"), INSECURE);
    assertArrayEquals(expected, RegistryImages.export(work, ref("rt/skopeo@" + digest), INSECURE));
  }

  @Test
  void dockerSchema2ManifestsReadAndCopiedUnchanged() throws Exception {
    // Docker schema 2 has no zstd: an image of gzip and plain layers
    Path gzipOnly =
        RegistryImages.layout(work.resolve("gzip-layout"), RegistryImages.gzipOnly("v2s2"), "v1");
    skopeoCopy(
        "--dest-tls-verify=false",
        "--format",
        "v2s2",
        "oci:" + gzipOnly + ":v1",
        ref("rt/v2s2:v1"));
    JsonNode m = RegistryImages.registryManifest(ref("rt/v2s2:v1"), INSECURE);
    assertEquals(MediaTypes.DOCKER_MANIFEST, m.get("mediaType").asText());
    assertArrayEquals(
        RegistryImages.export(work, "oci:" + gzipOnly + ":v1"),
        RegistryImages.export(work, ref("rt/v2s2:v1"), INSECURE));
    // copied to another repository: the same manifest, media type and digest
    String digest = RegistryImages.registryManifestDigest(ref("rt/v2s2:v1"), INSECURE);
    Isula.run("convert", "-q", INSECURE, ref("rt/v2s2:v1"), ref("rt/v2s2-copy:v1")).ok();
    assertEquals(digest, RegistryImages.registryManifestDigest(ref("rt/v2s2-copy:v1"), INSECURE));
  }

  @Test
  void whatWePushSkopeoReadsWithTheSourceDigest() throws Exception {
    Isula.Run push =
        Isula.run("convert", INSECURE, "oci:" + layout + ":v1", ref("rt/ours:v1")).ok();
    String digest = RegistryImages.layoutManifestDigest(layout);
    assertEquals(
        digest, RegistryImages.registryManifestDigest(ref("rt/ours:v1"), INSECURE), push::toString);
    Exec.Result inspect =
        Exec.run(List.of("skopeo", "inspect", "--tls-verify=false", ref("rt/ours:v1")));
    assertEquals(0, inspect.exit(), inspect::toString);
    assertTrue(inspect.stdout().contains("\"Digest\": \"" + digest + "\""), inspect.stdout());

    Path back = work.resolve("back");
    skopeoCopy(
        "--src-tls-verify=false", "--preserve-digests", ref("rt/ours:v1"), "oci:" + back + ":v1");
    assertEquals(digest, RegistryImages.layoutManifestDigest(back));
    assertArrayEquals(expected, RegistryImages.export(work, "oci:" + back + ":v1"));
  }

  @Test
  void importAndSaveWriteToTheRegistry() throws Exception {
    Path rootfs = work.resolve("rootfs.tar");
    Files.write(rootfs, expected);
    Isula.Run r =
        Isula.run("import", "-q", INSECURE, rootfs.toString(), "app:7", "-o", ref("rt/imported"))
            .ok();
    assertTrue(r.out().strip().matches("sha256:[0-9a-f]{64}"), r.out());
    // without a tag in the destination, the tag of the image's name is used
    Exec.Result inspect =
        Exec.run(List.of("skopeo", "inspect", "--tls-verify=false", ref("rt/imported:7")));
    assertEquals(0, inspect.exit(), inspect::toString);
    assertArrayEquals(expected, RegistryImages.export(work, ref("rt/imported:7"), INSECURE));

    Isula.run("save", "-q", INSECURE, "oci:" + layout + ":v1", "-o", ref("rt/saved:s1")).ok();
    assertEquals(
        RegistryImages.layoutManifestDigest(layout),
        RegistryImages.registryManifestDigest(ref("rt/saved:s1"), INSECURE));
  }

  @Test
  void multiPlatformIndexPushedBySkopeo() throws Exception {
    TestImage amd = RegistryImages.sample("amd").platform("linux", "amd64", null);
    TestImage arm = RegistryImages.sample("arm").platform("linux", "arm64", "v8");
    Path multi = RegistryImages.multiPlatformLayout(work.resolve("multi"), List.of(amd, arm), "v1");
    skopeoCopy("--all", "--dest-tls-verify=false", "oci:" + multi + ":v1", ref("rt/multi:v1"));
    JsonNode index = RegistryImages.registryManifest(ref("rt/multi:v1"), INSECURE);
    assertEquals(2, index.get("manifests").size(), index.toString());

    for (String platform : List.of("linux/amd64", "linux/arm64/v8")) {
      byte[] want = RegistryImages.export(work, "oci:" + multi + ":v1", "--platform", platform);
      byte[] got =
          RegistryImages.export(work, ref("rt/multi:v1"), INSECURE, "--platform", platform);
      assertArrayEquals(want, got, platform);
    }
    assertTrue(
        !java.util.Arrays.equals(
            RegistryImages.export(work, ref("rt/multi:v1"), INSECURE, "--platform", "linux/amd64"),
            RegistryImages.export(
                work, ref("rt/multi:v1"), INSECURE, "--platform", "linux/arm64/v8")),
        "the two platforms differ");
    Isula.Run missing =
        Isula.run(
            "export",
            "-q",
            INSECURE,
            "--platform",
            "linux/s390x",
            ref("rt/multi:v1"),
            work.resolve("none.tar").toString());
    assertEquals(1, missing.exit(), missing::toString);
    assertEquals(1, missing.errLines().size(), missing::toString);
    assertTrue(
        missing
            .err()
            .contains(
                "no image for platform linux/s390x; available: linux/amd64," + " linux/arm64/v8"),
        missing.err());
  }

  @Test
  void secondPushUploadsNothing() throws Exception {
    long start = registry.logPosition();
    Isula.run("convert", INSECURE, "oci:" + layout + ":v1", ref("rt/again:v1")).ok();
    registry.requestsSince(start, "PUT /v2/rt/again/manifests/v1"); // the first push fully logged
    long before = registry.logPosition();
    Isula.Run second = Isula.run("convert", INSECURE, "oci:" + layout + ":v1", ref("rt/again:v1"));
    second.ok();
    List<String> requests = registry.requestsSince(before, "PUT /v2/rt/again/manifests/v1");
    assertTrue(
        requests.stream()
            .noneMatch(
                r ->
                    r.startsWith("POST ")
                        || r.startsWith("PATCH ")
                        || r.contains("/blobs/uploads/")),
        requests.toString());
    // one HEAD per layer and the config, then the manifest
    assertEquals(
        4, requests.stream().filter(r -> r.startsWith("HEAD /v2/rt/again/blobs/")).count());
    assertEquals(
        1, requests.stream().filter(r -> r.startsWith("PUT /v2/rt/again/manifests/v1")).count());
    assertEquals(
        4,
        second.errLines().stream()
            .filter(l -> l.endsWith("already in " + registry.host() + "/rt/again, skipped"))
            .count(),
        second::toString);
  }

  @Test
  void copyBetweenRepositoriesMountsTheBlobs() throws Exception {
    long start = registry.logPosition();
    Isula.run("convert", "-q", INSECURE, "oci:" + layout + ":v1", ref("rt/mount-src:v1")).ok();
    registry.requestsSince(start, "PUT /v2/rt/mount-src/manifests/v1");
    long before = registry.logPosition();
    Isula.Run copy =
        Isula.run("convert", INSECURE, ref("rt/mount-src:v1"), ref("rt/mount-dst:v2")).ok();
    List<String> requests = registry.requestsSince(before, "PUT /v2/rt/mount-dst/manifests/v2");
    List<String> mounts =
        requests.stream()
            .filter(r -> r.startsWith("POST /v2/rt/mount-dst/blobs/uploads/?mount=sha256"))
            .toList();
    assertEquals(4, mounts.size(), requests.toString());
    assertTrue(mounts.stream().allMatch(r -> r.contains("from=rt%2Fmount-src")), mounts.toString());
    assertTrue(requests.stream().noneMatch(r -> r.startsWith("PATCH ")), requests.toString());
    assertTrue(
        requests.stream().noneMatch(r -> r.startsWith("PUT /v2/rt/mount-dst/blobs/")),
        requests.toString());
    // no layer is downloaded: only the config, which the reader needs
    assertEquals(
        1,
        requests.stream().filter(r -> r.startsWith("GET /v2/rt/mount-src/blobs/")).count(),
        requests.toString());
    assertEquals(
        4,
        copy.errLines().stream().filter(l -> l.endsWith("mounted from rt/mount-src")).count(),
        copy::toString);
    assertEquals(
        RegistryImages.layoutManifestDigest(layout),
        RegistryImages.registryManifestDigest(ref("rt/mount-dst:v2"), INSECURE));
  }

  @Test
  void pullLoadAndPushThroughTheStore() throws Exception {
    Path root = work.resolve("store");
    Isula.run("convert", "-q", INSECURE, "oci:" + layout + ":v1", ref("rt/store:v1")).ok();
    Isula.Run pull =
        Isula.run(
                "pull", "-q", INSECURE, "--root", root.toString(), registry.host() + "/rt/store:v1")
            .ok();
    assertTrue(pull.out().strip().matches("sha256:[0-9a-f]{64}"), pull.out());
    Isula.Run images = Isula.run("images", "--root", root.toString()).ok();
    assertTrue(images.out().contains(registry.host() + "/rt/store"), images.out());
    assertArrayEquals(
        expected,
        RegistryImages.export(work, registry.host() + "/rt/store:v1", "--root", root.toString()));

    Isula.Run load =
        Isula.run("load", INSECURE, "--root", root.toString(), "-i", ref("rt/store:v1")).ok();
    assertTrue(
        load.out().contains("Loaded image: " + registry.host() + "/rt/store:v1"), load.out());

    Isula.run(
            "push",
            "-q",
            INSECURE,
            "--root",
            root.toString(),
            registry.host() + "/rt/store:v1",
            registry.host() + "/rt/pushed:p1")
        .ok();
    assertArrayEquals(expected, RegistryImages.export(work, ref("rt/pushed:p1"), INSECURE));
  }

  @Test
  void errorsAreOneLineAndNameTheRegistry() throws Exception {
    Isula.Run none =
        Isula.run("export", "-q", INSECURE, ref("rt/none:v1"), work.resolve("x.tar").toString());
    assertEquals(1, none.exit(), none::toString);
    assertEquals(
        List.of("isula export: no image rt/none:v1 on " + registry.host()), none.errLines());
    assertTrue(Files.notExists(work.resolve("x.tar")));

    Isula.Run plain =
        Isula.run("export", "-q", ref("rt/none:v1"), work.resolve("x.tar").toString());
    assertEquals(1, plain.exit(), plain::toString);
    assertEquals(
        List.of(
            "isula export: "
                + registry.host()
                + ": the registry does not speak TLS (plain HTTP?); use --tls-verify=false to"
                + " allow plain HTTP"),
        plain.errLines());

    int unused;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      unused = s.getLocalPort();
    }
    Isula.Run refused =
        Isula.run(
            "export",
            "-q",
            INSECURE,
            "--retry-times",
            "1",
            "docker://127.0.0.1:" + unused + "/a:b",
            work.resolve("x.tar").toString());
    assertEquals(1, refused.exit(), refused::toString);
    assertEquals(
        List.of(
            "isula export: cannot connect to registry 127.0.0.1:"
                + unused
                + ": connection refused (after 2 attempts)"),
        refused.errLines().stream().filter(l -> !l.contains("retrying")).toList());

    Isula.Run usage = Isula.run("export", "-q", "docker://" + registry.host() + "/Bad", "x.tar");
    assertEquals(2, usage.exit(), usage::toString);
  }
}
