package dev.isula.format.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.spi.FormatRegistry;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The client against {@link FakeRegistry}: the Bearer token handshake (the real registry of the
 * golden tests only does Basic), retries, chunked uploads restarted after a failure, resumed
 * downloads, redirects, mounts and HEAD skips, and digest checks while uploading.
 */
class FakeRegistryTest {
  private final List<String> log = new CopyOnWriteArrayList<>();

  private static TestImage sample() {
    byte[] big = new byte[300 * 1024];
    new Random(7).nextBytes(big);
    return TestImage.image()
        .layer(
            TarBuilder.tar()
                .dir("etc")
                .file("etc/hostname", "fake\n")
                .file("etc/gone", "x")
                .file("data.bin", big, 0644)
                .build(),
            Compression.NONE)
        .layer(TarBuilder.tar().whiteout("etc/gone").file("etc/motd", "hi\n").build());
  }

  private static Image image(TestImage t) throws IsulaException {
    Image.Builder b =
        Image.builder()
            .source("test")
            .config(t.configBytes(), "config")
            .manifest(t.manifestBytes(), MediaTypes.OCI_MANIFEST);
    t.layers().forEach(b::addLayer);
    return b.build();
  }

  private static byte[] export(Image img) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RootfsExporter.create(Compression.NONE, 1, null).exportTo(img, out);
    return out.toByteArray();
  }

  private WriteOptions write(String... props) {
    WriteOptions.Builder b =
        WriteOptions.builder().threads(2).log(log::add).property("tls-verify", "false");
    b.property("retry-delay-ms", "1");
    for (int i = 0; i + 1 < props.length; i += 2) {
      b.property(props[i], props[i + 1]);
    }
    return b.build();
  }

  private ReadOptions read(String... props) {
    ReadOptions.Builder b =
        ReadOptions.builder().threads(2).log(log::add).property("tls-verify", "false");
    b.property("retry-delay-ms", "1");
    for (int i = 0; i + 1 < props.length; i += 2) {
      b.property(props[i], props[i + 1]);
    }
    return b.build();
  }

  private void push(String ref, Image img, String... props) throws Exception {
    try (ImageSink sink = new RegistryFormat().openSink(ref, write(props))) {
      sink.write(img);
    }
  }

  @Test
  void registeredAsTheDockerTransport() throws Exception {
    FormatRegistry.ParsedReference p = FormatRegistry.load().parse("docker://127.0.0.1:5000/a/b:c");
    assertEquals("docker", p.format().id());
    assertEquals("//127.0.0.1:5000/a/b:c", p.rest());
    assertTrue(p.format().canWrite());
  }

  @Test
  void bearerTokenRoundTrip() throws Exception {
    TestImage t = sample();
    Image img = image(t);
    try (FakeRegistry reg = new FakeRegistry().bearer("alice", "pw")) {
      String ref = "//" + reg.host() + "/team/app:v1";
      push(ref, img, "creds", "alice:pw");
      // every layer unchanged: the image's own manifest went up, so its digest is kept
      assertArrayEquals(t.manifestBytes(), reg.manifests.get("team/app:v1"));
      assertEquals(MediaTypes.OCI_MANIFEST, reg.manifestTypes.get("team/app:v1"));
      List<FakeRegistry.Request> tokens = reg.requests("GET", "/token");
      assertFalse(tokens.isEmpty());
      assertTrue(
          tokens.stream()
              .allMatch(
                  r -> r.query().contains("service=fake") && r.header("Authorization") != null),
          tokens.toString());
      assertTrue(
          tokens.stream()
              .anyMatch(r -> r.query().contains("scope=repository%3Ateam%2Fapp%3Apull%2Cpush")),
          tokens.toString());
      // the token is fetched once per scope, not per request
      assertTrue(tokens.size() <= 2, tokens.toString());

      try (ImageSource s = new RegistryFormat().open(ref, read("creds", "alice:pw"))) {
        assertArrayEquals(export(img), export(s.image()));
        assertEquals(List.of(reg.host() + "/team/app:v1"), s.image().names());
        assertEquals(Digest.sha256(t.manifestBytes()), s.image().manifestDigest());
        assertEquals("docker://" + reg.host() + "/team/app:v1", s.image().source());
      }
      // by digest too
      String byDigest = "//" + reg.host() + "/team/app@" + Digest.sha256(t.manifestBytes());
      try (ImageSource s = new RegistryFormat().open(byDigest, read("creds", "alice:pw"))) {
        assertArrayEquals(export(img), export(s.image()));
        assertTrue(s.image().names().isEmpty());
      }
    }
  }

  /** docker's identity token: exchanged at the token service as an OAuth2 refresh token. */
  @Test
  void identityTokenIsExchangedWithARefreshTokenPost() throws Exception {
    TestImage t = sample();
    Image img = image(t);
    try (FakeRegistry reg = new FakeRegistry().bearer("alice", "pw").identityToken("refresh-me")) {
      String ref = "//" + reg.host() + "/team/app:v1";
      push(ref, img, "creds", "alice:pw");
      try (ImageSource s = new RegistryFormat().open(ref, read("creds", "<token>:refresh-me"))) {
        assertArrayEquals(export(img), export(s.image()));
      }
      assertFalse(reg.formPosts.isEmpty());
      Map<String, String> form = reg.formPosts.get(0);
      assertEquals("refresh_token", form.get("grant_type"));
      assertEquals("refresh-me", form.get("refresh_token"));
      assertEquals("isula-toolkit", form.get("client_id"));
      assertTrue(form.get("scope").contains("repository:team/app:pull"), form.toString());
      // the refresh token never went out as a Basic password: the only GETs are alice's push
      String alice =
          "Basic "
              + java.util.Base64.getEncoder()
                  .encodeToString("alice:pw".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertTrue(
          reg.requests("GET", "/token").stream()
              .allMatch(r -> alice.equals(r.header("Authorization"))),
          reg.requests("GET", "/token").toString());
      IsulaException e =
          assertThrows(
              IsulaException.class,
              () -> new RegistryFormat().open(ref, read("creds", "<token>:wrong")).close());
      assertTrue(
          e.getMessage().contains("authentication failed for " + reg.host()), e.getMessage());
    }
  }

  @Test
  void bearerWithoutOrWithWrongCredentials() throws Exception {
    try (FakeRegistry reg = new FakeRegistry().bearer("alice", "pw")) {
      String ref = "//" + reg.host() + "/team/app:v1";
      IsulaException none =
          assertThrows(
              IsulaException.class,
              () -> new RegistryFormat().open(ref, read("authfile", "/nonexistent/auth.json")));
      assertEquals(
          "authentication required for "
              + reg.host()
              + " (incorrect username or password); run isula login "
              + reg.host(),
          none.getMessage());
      IsulaException wrong =
          assertThrows(
              IsulaException.class,
              () -> new RegistryFormat().open(ref, read("creds", "alice:no")));
      assertTrue(
          wrong.getMessage().startsWith("authentication failed for " + reg.host() + " as alice"),
          wrong.getMessage());
      assertFalse(wrong.getMessage().contains("no)"), "never print the password");
    }
  }

  @Test
  void missingImageNamesRepositoryAndHost() throws Exception {
    try (FakeRegistry reg = new FakeRegistry()) {
      ImageNotFoundException e =
          assertThrows(
              ImageNotFoundException.class,
              () -> new RegistryFormat().open("//" + reg.host() + "/team/none:v9", read()));
      assertEquals("no image team/none:v9 on " + reg.host(), e.getMessage());
    }
  }

  @Test
  void serverErrorsAreRetriedWithBackoff() throws Exception {
    Image img = image(sample());
    try (FakeRegistry reg = new FakeRegistry()) {
      String ref = "//" + reg.host() + "/r/app:v1";
      push(ref, img);
      reg.fault(
          r -> r.method().equals("GET") && r.path().contains("/manifests/"),
          2,
          (ex, r) -> {
            ex.getResponseHeaders().add("Retry-After", "0");
            FakeRegistry.send(ex, 503, "{\"errors\":[{\"code\":\"UNAVAILABLE\"}]}");
            return true;
          });
      int before = reg.requests("GET", "/manifests/").size();
      try (ImageSource s = new RegistryFormat().open(ref, read())) {
        assertArrayEquals(export(img), export(s.image()));
      }
      assertEquals(3, reg.requests("GET", "/manifests/").size() - before);
      assertTrue(log.stream().anyMatch(l -> l.contains("HTTP 503; retrying")), log.toString());

      // more failures than retries: a clear error, after 1 + retries attempts
      reg.fault(
          r -> r.method().equals("GET") && r.path().contains("/manifests/"),
          10,
          (ex, r) -> {
            FakeRegistry.send(ex, 502, "bad gateway");
            return true;
          });
      before = reg.requests("GET", "/manifests/").size();
      IsulaException e =
          assertThrows(
              IsulaException.class, () -> new RegistryFormat().open(ref, read("retries", "2")));
      assertEquals(3, reg.requests("GET", "/manifests/").size() - before);
      assertTrue(e.getMessage().contains("HTTP 502 (bad gateway)"), e.getMessage());
      assertTrue(e.getMessage().startsWith(reg.host() + ": GET manifest r/app:v1"), e.getMessage());
    }
  }

  @Test
  void chunkedUploadStartsAgainAfterAFailedChunk() throws Exception {
    TestImage t = sample();
    Image img = image(t);
    byte[] bigLayer = t.blob(0);
    Digest bigDigest = Digest.sha256(bigLayer);
    try (FakeRegistry reg = new FakeRegistry()) {
      reg.fault(
          r ->
              r.method().equals("PATCH")
                  && r.header("Content-Range") != null
                  && !r.header("Content-Range").startsWith("0-"),
          1,
          (ex, r) -> {
            FakeRegistry.send(ex, 500, "{\"errors\":[{\"code\":\"UNKNOWN\"}]}");
            return true;
          });
      String ref = "//" + reg.host() + "/r/big:v1";
      push(ref, img, "chunk-size", "64K");
      assertArrayEquals(bigLayer, reg.blobs.get(bigDigest.toString()));
      // 300K+ in 64K chunks: several PATCHes, the closing PUT carrying the rest
      List<FakeRegistry.Request> patches = reg.requests("PATCH", "/blobs/uploads/");
      assertTrue(patches.size() >= 5, patches.toString());
      for (FakeRegistry.Request p : patches) {
        assertTrue(p.header("Content-Range").matches("[0-9]+-[0-9]+"), p.header("Content-Range"));
      }
      // the big blob was started twice (one session cancelled), the small ones once
      assertEquals(2 + 2, reg.requests("POST", "/blobs/uploads/").size());
      assertEquals(1, reg.requests("DELETE", "/blobs/uploads/").size());
      assertTrue(log.stream().anyMatch(l -> l.contains("starting it again")), log.toString());
      try (ImageSource s = new RegistryFormat().open(ref, read())) {
        assertArrayEquals(export(img), export(s.image()));
      }
    }
  }

  @Test
  void brokenDownloadResumesWithRange() throws Exception {
    TestImage t = sample();
    Image img = image(t);
    byte[] bigLayer = t.blob(0);
    String bigDigest = Digest.sha256(bigLayer).toString();
    try (FakeRegistry reg = new FakeRegistry()) {
      String ref = "//" + reg.host() + "/r/app:v1";
      push(ref, img);
      reg.fault(
          r -> r.method().equals("GET") && r.path().endsWith(bigDigest),
          1,
          (ex, r) -> {
            // promise everything, send half, then drop the connection
            ex.sendResponseHeaders(200, bigLayer.length);
            OutputStream out = ex.getResponseBody();
            out.write(bigLayer, 0, bigLayer.length / 2);
            out.flush();
            throw new IOException("dropping the connection on purpose");
          });
      try (ImageSource s = new RegistryFormat().open(ref, read())) {
        assertArrayEquals(export(img), export(s.image()));
      }
      List<FakeRegistry.Request> gets = reg.requests("GET", bigDigest);
      assertEquals(2, gets.size(), gets.toString());
      assertNull(gets.get(0).header("Range"));
      String range = gets.get(1).header("Range");
      assertTrue(range != null && range.matches("bytes=[1-9][0-9]*-"), "" + range);
    }
  }

  @Test
  void aPeekAtABlobAsksForItsFirstBytesOnly() throws Exception {
    TestImage t = sample();
    Image img = image(t);
    byte[] bigLayer = t.blob(0);
    String bigDigest = Digest.sha256(bigLayer).toString();
    byte[] first = java.util.Arrays.copyOf(bigLayer, 6);
    try (FakeRegistry reg = new FakeRegistry()) {
      String ref = "//" + reg.host() + "/r/app:v1";
      push(ref, img);
      try (ImageSource s = new RegistryFormat().open(ref, read())) {
        Layer layer = s.image().layers().get(0);
        assertArrayEquals(first, layer.source().head(6));
        List<FakeRegistry.Request> gets = reg.requests("GET", bigDigest);
        assertEquals(1, gets.size(), gets.toString());
        assertEquals("bytes=0-5", gets.get(0).header("Range"));
        // a server that ignores the range sends the whole blob: its first bytes still come back
        reg.fault(
            r -> r.method().equals("GET") && r.path().endsWith(bigDigest),
            1,
            (ex, r) -> {
              ex.sendResponseHeaders(200, bigLayer.length);
              try (OutputStream out = ex.getResponseBody()) {
                out.write(bigLayer);
              } catch (IOException closedEarly) {
                // the client stops reading after the bytes it wanted
              }
              return true;
            });
        assertArrayEquals(first, layer.source().head(6));
        assertArrayEquals(export(img), export(s.image()));
      }
    }
  }

  @Test
  void redirectsNeverCarryCredentialsToAnotherHost() throws Exception {
    TestImage t = sample();
    Image img = image(t);
    byte[] bigLayer = t.blob(0);
    String bigDigest = Digest.sha256(bigLayer).toString();
    try (FakeRegistry reg = new FakeRegistry().bearer("alice", "pw");
        FakeRegistry storage = new FakeRegistry()) {
      String ref = "//" + reg.host() + "/r/app:v1";
      push(ref, img, "creds", "alice:pw");
      storage.repoBlobs.put("store", Map.of(bigDigest, bigLayer));
      reg.fault(
          r -> r.method().equals("GET") && r.path().endsWith(bigDigest),
          5,
          (ex, r) -> {
            ex.getResponseHeaders()
                .add("Location", "http://" + storage.host() + "/v2/store/blobs/" + bigDigest);
            ex.sendResponseHeaders(307, -1);
            return true;
          });
      try (ImageSource s = new RegistryFormat().open(ref, read("creds", "alice:pw"))) {
        assertArrayEquals(export(img), export(s.image()));
      }
      List<FakeRegistry.Request> redirected = storage.requests("GET", bigDigest);
      assertEquals(1, redirected.size());
      assertNull(redirected.get(0).header("Authorization"));
      assertTrue(
          reg.requests("GET", bigDigest).get(0).header("Authorization").startsWith("Bearer "));
    }
  }

  @Test
  void existingBlobsAreSkippedAndOtherRepositoriesMountedFrom() throws Exception {
    TestImage t = sample();
    Image img = image(t);
    try (FakeRegistry reg = new FakeRegistry()) {
      push("//" + reg.host() + "/a/one:v1", img);
      int uploads = reg.requests("POST", "/blobs/uploads/").size();
      log.clear();
      push("//" + reg.host() + "/a/one:v2", img);
      assertEquals(uploads, reg.requests("POST", "/blobs/uploads/").size(), "nothing uploaded");
      assertEquals(3, log.stream().filter(l -> l.endsWith(", skipped")).count(), log.toString());

      log.clear();
      try (ImageSource s = new RegistryFormat().open("//" + reg.host() + "/a/one:v1", read())) {
        push("//" + reg.host() + "/b/two:v1", s.image());
      }
      List<FakeRegistry.Request> posts = reg.requests("POST", "/b/two/blobs/uploads/");
      assertEquals(3, posts.size(), posts.toString());
      assertTrue(
          posts.stream().allMatch(r -> r.query().contains("from=a%2Fone")), posts.toString());
      assertTrue(reg.requests("PATCH", "/b/two/").isEmpty());
      assertTrue(reg.requests("PUT", "/b/two/blobs/").isEmpty());
      assertEquals(
          3, log.stream().filter(l -> l.endsWith("mounted from a/one")).count(), log.toString());
      assertArrayEquals(t.manifestBytes(), reg.manifests.get("b/two:v1"));
    }
  }

  @Test
  void aLayerNotMatchingItsDigestIsNeverCommitted() throws Exception {
    TestImage t = sample();
    Image good = image(t);
    Layer l0 = good.layers().get(0);
    byte[] tampered = t.blob(0).clone();
    tampered[tampered.length - 1] ^= 1;
    Image.Builder b =
        Image.builder()
            .source("tampered")
            .config(t.configBytes(), "config")
            .manifest(t.manifestBytes(), MediaTypes.OCI_MANIFEST)
            .addLayer(
                new Layer(
                    0,
                    2,
                    l0.mediaType(),
                    l0.digest(),
                    l0.size(),
                    l0.diffId(),
                    () -> new ByteArrayInputStream(tampered)))
            .addLayer(good.layers().get(1));
    try (FakeRegistry reg = new FakeRegistry()) {
      assertThrows(
          DigestMismatchException.class,
          () -> push("//" + reg.host() + "/r/bad:v1", b.build(), "parallel", "1"));
      assertFalse(reg.blobs.containsKey(l0.digest().toString()));
      assertTrue(reg.manifests.isEmpty());
      assertEquals(1, reg.requests("DELETE", "/blobs/uploads/").size());
    }
  }

  @Test
  void recompressedLayersGetANewOciManifest() throws Exception {
    TestImage t = sample();
    Image img = image(t);
    try (FakeRegistry reg = new FakeRegistry()) {
      String ref = "//" + reg.host() + "/r/z:v1";
      try (ImageSink sink =
          new RegistryFormat()
              .openSink(
                  ref,
                  WriteOptions.builder()
                      .compression(Compression.ZSTD)
                      .threads(2)
                      .property("tls-verify", "false")
                      .build())) {
        sink.write(img);
      }
      String manifest =
          new String(reg.manifests.get("r/z:v1"), java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(manifest.contains(MediaTypes.OCI_LAYER_ZSTD), manifest);
      List<String> layerTypes = new ArrayList<>();
      try (ImageSource s = new RegistryFormat().open(ref, read())) {
        s.image().layers().forEach(l -> layerTypes.add(l.mediaType()));
        assertArrayEquals(export(img), export(s.image()));
      }
      assertEquals(List.of(MediaTypes.OCI_LAYER_ZSTD, MediaTypes.OCI_LAYER_ZSTD), layerTypes);
    }
  }
}
