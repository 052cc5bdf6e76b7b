package dev.isula.golden.jbang;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.golden.registry.LocalRegistry;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every alias of jbang-catalog.json through the repository's ./jbang launcher, the way users
 * type them, against the artifacts this build installed. JBang's state lives in a temporary
 * JBANG_DIR, so the catalog registration of the set-up step is exercised from scratch.
 */
@Tag("jbang")
class JbangAliasTest {
  private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();

  @TempDir static Path jbangDir;
  @TempDir Path work;

  record Result(int exit, byte[] stdout, String stderr) {
    String out() {
      return new String(stdout, StandardCharsets.UTF_8);
    }
  }

  static Result jbang(Path cwd, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(REPO.resolve("jbang").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
    pb.environment().put("JBANG_DIR", jbangDir.toString());
    pb.environment().put("ISULA_BUNDLED_JBANG", "1");
    pb.environment().put("ISULA_TOOLKIT_ROOT", jbangDir.resolve("store").toString());
    Path err = Files.createTempFile(jbangDir, "stderr", ".txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "jbang timed out: " + cmd);
    return new Result(p.exitValue(), out, Files.readString(err));
  }

  /** The README's set-up step registers the catalog; it runs twice, as users re-run it. */
  @BeforeAll
  static void registerCatalog() throws Exception {
    for (int i = 0; i < 2; i++) {
      ProcessBuilder pb =
          new ProcessBuilder(REPO.resolve("scripts/setup.sh").toString(), "--no-build")
              .redirectErrorStream(true);
      pb.environment().put("JBANG_DIR", jbangDir.toString());
      pb.environment().put("ISULA_BUNDLED_JBANG", "1");
      Process p = pb.start();
      String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "setup timed out");
      assertEquals(0, p.exitValue(), "scripts/setup.sh --no-build, run " + (i + 1) + ": " + log);
    }
    String catalogs = Files.readString(jbangDir.resolve("jbang-catalog.json"));
    assertTrue(catalogs.contains(REPO.resolve("jbang-catalog.json").toString()), catalogs);
  }

  private Path sampleArchive() throws IOException {
    return TestImage.image()
        .layer(
            TarBuilder.tar()
                .dir("etc")
                .file("etc/hostname", "sample\n")
                .dir("bin")
                .file("bin/hello", "#!/bin/sh\necho hello\n".getBytes(StandardCharsets.UTF_8), 0755)
                .file("etc/old", "gone")
                .build())
        .layer(TarBuilder.tar().whiteout("etc/old").file("etc/motd", "hi\n").build())
        .writeDockerArchive(work.resolve("sample.tar"), "sample:1");
  }

  private byte[] exportInProcess(String ref) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageSource s = FormatRegistry.load().open(ref, ReadOptions.defaults())) {
      RootfsExporter.create(Compression.NONE, 2, null).exportTo(s.image(), out);
    }
    return out.toByteArray();
  }

  /** One step of the end-to-end run: an alias invocation and what must hold afterwards. */
  record Step(String alias, List<String> args, Check check) {}

  interface Check {
    void verify(Result r) throws Exception;
  }

  @Test
  void everyCatalogAliasRunsEndToEnd() throws Exception {
    JsonNode catalog;
    try (InputStream in = Files.newInputStream(REPO.resolve("jbang-catalog.json"))) {
      catalog = Json.readObject(in, 1 << 20, "jbang-catalog.json");
    }
    Set<String> aliases = new HashSet<>();
    catalog.get("aliases").fieldNames().forEachRemaining(aliases::add);
    Path archive = sampleArchive();
    byte[] expected = exportInProcess("docker-archive:" + archive);
    Path rootfsTar = work.resolve("rootfs-in.tar");
    Files.write(rootfsTar, expected);
    Path layout = work.resolve("layout");
    LocalRegistry.requireRegistry();
    LocalRegistry registry = LocalRegistry.plain(work.resolve("registry"));
    Path authFile = work.resolve("auth.json");

    List<Step> steps =
        List.of(
            new Step(
                "export",
                List.of("export@isula", "-q", archive.toString(), "out-export.tar"),
                r ->
                    assertArrayEquals(
                        expected, Files.readAllBytes(work.resolve("out-export.tar")))),
            new Step(
                "isula",
                List.of("isula@isula", "export", "-q", archive.toString(), "out-isula.tar"),
                r ->
                    assertArrayEquals(expected, Files.readAllBytes(work.resolve("out-isula.tar")))),
            new Step(
                "import",
                List.of(
                    "import@isula",
                    "-q",
                    rootfsTar.toString(),
                    "imported:1",
                    "-o",
                    "docker-archive:" + work.resolve("out-import.tar")),
                r -> {
                  assertTrue(r.out().strip().matches("sha256:[0-9a-f]{64}"), r.out());
                  // the imported image's rootfs is the tar that went in, byte for byte
                  assertArrayEquals(
                      expected,
                      exportInProcess("docker-archive:" + work.resolve("out-import.tar")));
                }),
            new Step(
                "load",
                List.of("load@isula", "-i", archive.toString()),
                r -> assertEquals("Loaded image: sample:1", r.out().strip())),
            new Step(
                "tag",
                List.of("tag@isula", "sample:1", "example.org/ns/other:2"),
                r -> assertEquals("", r.out())),
            new Step(
                "images",
                List.of("images@isula"),
                r -> {
                  assertTrue(r.out().startsWith("REPOSITORY"), r.out());
                  assertTrue(r.out().contains("example.org/ns/other"), r.out());
                }),
            new Step(
                "inspect",
                List.of("inspect@isula", "example.org/ns/other:2"),
                r -> assertTrue(r.out().contains("\"example.org/ns/other:2\""), r.out())),
            new Step(
                "save",
                List.of("save@isula", "example.org/ns/other:2", "-o", "saved.tar"),
                r ->
                    assertArrayEquals(
                        expected, exportInProcess("docker-archive:" + work.resolve("saved.tar")))),
            new Step(
                "convert",
                List.of(
                    "convert@isula", "-q", "docker-archive:" + archive, "oci:" + layout + ":v1"),
                r -> assertArrayEquals(expected, exportInProcess("oci:" + layout + ":v1"))),
            new Step(
                "check",
                List.of("check@isula", archive.toString()),
                r -> {
                  assertTrue(r.out().startsWith("PASS manifest"), r.out());
                  assertFalse(r.out().contains("FAIL"), r.out());
                }),
            new Step(
                "push",
                List.of(
                    "push@isula",
                    "-q",
                    "--tls-verify=false",
                    "example.org/ns/other:2",
                    registry.host() + "/ns/other:2"),
                r -> {
                  // skopeo, as a peer, fetches what we pushed
                  Path pushed = work.resolve("pushed");
                  Process skopeo =
                      new ProcessBuilder(
                              "skopeo",
                              "copy",
                              "-q",
                              "--src-tls-verify=false",
                              "docker://" + registry.host() + "/ns/other:2",
                              "oci:" + pushed + ":v1")
                          .redirectErrorStream(true)
                          .start();
                  String said = new String(skopeo.getInputStream().readAllBytes());
                  assertTrue(skopeo.waitFor(2, TimeUnit.MINUTES), "skopeo timed out");
                  assertEquals(0, skopeo.exitValue(), said);
                  assertArrayEquals(expected, exportInProcess("oci:" + pushed + ":v1"));
                }),
            new Step(
                "pull",
                List.of(
                    "pull@isula",
                    "-q",
                    "--tls-verify=false",
                    registry.host() + "/ns/other:2",
                    "pulled:1"),
                r -> {
                  // the image came back unchanged: same config, so the same id
                  try (ImageSource saved =
                      FormatRegistry.load()
                          .open(
                              "docker-archive:" + work.resolve("saved.tar"),
                              ReadOptions.defaults())) {
                    assertEquals(saved.image().configDigest().toString(), r.out().strip());
                  }
                }),
            new Step(
                "rm",
                List.of("rm@isula", "--prune", "sample:1", "example.org/ns/other:2", "pulled:1"),
                r -> {
                  assertTrue(r.out().contains("Untagged: pulled:1"), r.out());
                  assertTrue(r.out().contains("Untagged: sample:1"), r.out());
                  assertTrue(r.out().contains("Pruned"), r.out());
                }),
            new Step(
                "login",
                List.of(
                    "login@isula",
                    "--tls-verify=false",
                    "--authfile",
                    authFile.toString(),
                    "-u",
                    "jbang",
                    "-p",
                    "secret",
                    registry.host()),
                r -> {
                  assertEquals("Login Succeeded!", r.out().strip());
                  assertTrue(Files.readString(authFile).contains(registry.host()));
                }),
            new Step(
                "logout",
                List.of("logout@isula", "--authfile", authFile.toString(), registry.host()),
                r -> {
                  assertEquals("Removed login credentials for " + registry.host(), r.out().strip());
                  assertFalse(Files.readString(authFile).contains(registry.host()));
                }));
    assertEquals(
        aliases,
        steps.stream().map(Step::alias).collect(java.util.stream.Collectors.toSet()),
        "every catalog alias needs an end-to-end invocation here");
    try (registry) {
      for (Step step : steps) {
        Result r = jbang(work, step.args().toArray(String[]::new));
        assertEquals(0, r.exit(), step.alias() + "@isula failed: " + r.stderr());
        step.check().verify(r);
      }
    }
  }

  @Test
  void exportToStandardOutput() throws Exception {
    Path archive = sampleArchive();
    Result r = jbang(work, "export@isula", archive.toString(), "-");
    assertEquals(0, r.exit(), r.stderr());
    assertArrayEquals(exportInProcess(archive.toString()), r.stdout());
    assertTrue(r.stderr().contains("exported"), "progress goes to stderr: " + r.stderr());
  }

  @Test
  void badInputIsOneLineAndExitOne() throws Exception {
    Path junk = work.resolve("junk.tar");
    Files.write(junk, "not an image at all".getBytes(StandardCharsets.UTF_8));
    Result r = jbang(work, "export@isula", junk.toString(), "out.tar");
    assertEquals(1, r.exit());
    assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
    assertTrue(r.stderr().contains("junk.tar"), r.stderr());
    assertFalse(Files.exists(work.resolve("out.tar")));
  }

  @Test
  void badUsageExitsTwo() throws Exception {
    Result r = jbang(work, "export@isula", "--platform", "nonsense", "x", "y");
    assertEquals(2, r.exit(), r.stderr());
    Result missing = jbang(work, "export@isula");
    assertEquals(2, missing.exit(), missing.stderr());
  }

  @Test
  void bundledReadmeSampleExports() throws Exception {
    Path sample = REPO.resolve("samples/hello.tar");
    assertTrue(Files.exists(sample), "the README's sample image is missing: " + sample);
    Result r = jbang(work, "export@isula", "-q", sample.toString(), "hello-rootfs.tar");
    assertEquals(0, r.exit(), r.stderr());
    assertArrayEquals(
        exportInProcess(sample.toString()), Files.readAllBytes(work.resolve("hello-rootfs.tar")));
  }

  /** scripts/install-isula-command.sh gives a plain `isula` command (JBang's app installer). */
  @Test
  void installsAPlainIsulaCommand() throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(REPO.resolve("scripts/install-isula-command.sh").toString())
            .directory(work.toFile())
            .redirectErrorStream(true);
    pb.environment().put("JBANG_DIR", jbangDir.toString());
    pb.environment().put("ISULA_BUNDLED_JBANG", "1");
    Process p = pb.start();
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES));
    assertEquals(0, p.exitValue(), log);
    Path isula = jbangDir.resolve("bin/isula");
    assertTrue(Files.isExecutable(isula), log);

    ProcessBuilder run = new ProcessBuilder(isula.toString(), "--version").directory(work.toFile());
    run.environment().put("JBANG_DIR", jbangDir.toString());
    run.environment().put("ISULA_BUNDLED_JBANG", "1");
    run.environment().put("PATH", jbangDir.resolve("bin") + ":" + System.getenv("PATH"));
    Process v = run.start();
    String version = new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(v.waitFor(5, TimeUnit.MINUTES));
    assertEquals(0, v.exitValue());
    assertTrue(version.matches("isula-toolkit \\S+\\s*"), version);
  }

  /** The library example of docs/library.md runs as documented. */
  @Test
  void libraryExampleRuns() throws Exception {
    Path archive = sampleArchive();
    Path layout = work.resolve("example-layout");
    Path rootfs = work.resolve("example-rootfs.tar");
    Result r =
        jbang(
            work,
            REPO.resolve("docs/examples/ConvertImage.java").toString(),
            "docker-archive:" + archive,
            "oci:" + layout + ":v1",
            rootfs.toString());
    assertEquals(0, r.exit(), r.stderr());
    byte[] expected = exportInProcess("docker-archive:" + archive);
    assertArrayEquals(expected, Files.readAllBytes(rootfs));
    assertArrayEquals(expected, exportInProcess("oci:" + layout + ":v1"));
  }
}
