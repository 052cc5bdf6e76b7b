package dev.isula.format.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthFileTest {
  @TempDir Path dir;

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode json(String text) throws InvalidImageException {
    return Json.parse(text.getBytes(StandardCharsets.UTF_8), "test");
  }

  @Test
  void hostEntry() throws Exception {
    JsonNode f =
        json("{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"" + b64("alice:s3cr:et") + "\"}}}");
    AuthFile.Credentials c = AuthFile.lookup(f, "127.0.0.1:5000", "team/app", "f");
    assertEquals("alice", c.user());
    assertEquals("s3cr:et", c.password(), "only the first colon separates");
    assertNull(AuthFile.lookup(f, "127.0.0.1:5001", "team/app", "f"));
    assertEquals("Basic " + b64("alice:s3cr:et"), c.basicHeader());
    assertFalse(c.toString().contains("s3cr"), "never print the password");
  }

  @Test
  void mostSpecificNamespaceWins() throws Exception {
    JsonNode f =
        json(
            "{\"auths\":{"
                + "\"reg.example.org\":{\"auth\":\""
                + b64("host:1")
                + "\"},"
                + "\"reg.example.org/team\":{\"auth\":\""
                + b64("team:2")
                + "\"},"
                + "\"reg.example.org/team/app\":{\"auth\":\""
                + b64("app:3")
                + "\"},"
                + "\"reg.example.org/tea\":{\"auth\":\""
                + b64("prefix-only:4")
                + "\"}}}");
    assertEquals("app", AuthFile.lookup(f, "reg.example.org", "team/app", "f").user());
    assertEquals("team", AuthFile.lookup(f, "reg.example.org", "team/other", "f").user());
    assertEquals("host", AuthFile.lookup(f, "reg.example.org", "teams/x", "f").user());
    assertEquals("host", AuthFile.lookup(f, "reg.example.org", null, "f").user());
  }

  @Test
  void dockerHubUrlKeysAndPlainFields() throws Exception {
    JsonNode f =
        json(
            "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\""
                + b64("bob:pw")
                + "\"},\"http://reg.local:80/\":{\"username\":\"u\",\"password\":\"p\"}}}");
    assertEquals("bob", AuthFile.lookup(f, "docker.io", "library/busybox", "f").user());
    AuthFile.Credentials c = AuthFile.lookup(f, "reg.local:80", "x", "f");
    assertEquals("u", c.user());
    assertEquals("p", c.password());
  }

  @Test
  void missingOrEmptyEntries() throws Exception {
    assertNull(AuthFile.lookup(json("{}"), "h", "r", "f"));
    assertNull(AuthFile.lookup(json("{\"auths\":{}}"), "h", "r", "f"));
    // a credsStore/credHelpers-only entry has nothing we can use
    assertNull(
        AuthFile.lookup(json("{\"auths\":{\"h\":{}},\"credsStore\":\"desktop\"}"), "h", "r", "f"));
  }

  @Test
  void malformedAuthIsAClearError() throws Exception {
    InvalidImageException e =
        assertThrows(
            InvalidImageException.class,
            () -> AuthFile.lookup(json("{\"auths\":{\"h\":{\"auth\":\"%%%\"}}}"), "h", "r", "/x"));
    assertEquals("/x: auths.h.auth is not base64", e.getMessage());
    assertThrows(
        InvalidImageException.class,
        () ->
            AuthFile.lookup(
                json("{\"auths\":{\"h\":{\"auth\":\"" + b64("nocolon") + "\"}}}"), "h", "r", "f"));
  }

  @Test
  void searchPathAndLoginTarget() throws Exception {
    Path home = dir.resolve("home");
    Path run = dir.resolve("run");
    AuthFile noXdg = new AuthFile(Map.of(), home);
    assertEquals(
        List.of(home.resolve(".config/containers/auth.json"), home.resolve(".docker/config.json")),
        noXdg.searchPath(null));
    assertEquals(home.resolve(".docker/config.json"), noXdg.loginTarget(null));

    AuthFile xdg = new AuthFile(Map.of("XDG_RUNTIME_DIR", run.toString()), home);
    assertEquals(run.resolve("containers/auth.json"), xdg.searchPath(null).get(0));
    assertEquals(run.resolve("containers/auth.json"), xdg.loginTarget(null));
    // a docker user's existing file is kept as the one to write, until podman's exists
    Files.createDirectories(home.resolve(".docker"));
    Files.writeString(home.resolve(".docker/config.json"), "{}");
    assertEquals(home.resolve(".docker/config.json"), xdg.loginTarget(null));
    Files.createDirectories(run.resolve("containers"));
    Files.writeString(run.resolve("containers/auth.json"), "{}");
    assertEquals(run.resolve("containers/auth.json"), xdg.loginTarget(null));

    Path explicit = dir.resolve("mine.json");
    assertEquals(List.of(explicit), xdg.searchPath(explicit));
    assertEquals(explicit, xdg.loginTarget(explicit));
    AuthFile env = new AuthFile(Map.of("REGISTRY_AUTH_FILE", explicit.toString()), home);
    assertEquals(List.of(explicit), env.searchPath(null));
    assertEquals(explicit, env.loginTarget(null));
  }

  @Test
  void storeFindAndRemoveKeepOtherContent() throws Exception {
    Path f = dir.resolve("sub/auth.json");
    Files.createDirectories(f.getParent());
    Files.writeString(
        f,
        "{\"auths\":{\"other:1\":{\"auth\":\""
            + b64("o:p")
            + "\"},\"http://reg:5000/\":{\"auth\":\""
            + b64("old:old")
            + "\"}},\"credHelpers\":{\"x\":\"y\"}}");
    AuthFile.store(f, "reg:5000", new AuthFile.Credentials("new", "pw"));
    AuthFile files = new AuthFile(Map.of(), dir);
    AuthFile.Credentials c = files.find(f, "reg:5000", "a/b");
    assertEquals("new", c.user());
    assertEquals("pw", c.password());
    JsonNode written = Json.parse(Files.readAllBytes(f), "f");
    assertEquals(List.of("other:1", "reg:5000"), fieldNames(written.get("auths")));
    assertEquals("y", written.get("credHelpers").get("x").asText());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));

    assertTrue(AuthFile.remove(f, "reg:5000"));
    assertNull(files.find(f, "reg:5000", "a/b"));
    assertEquals("o", files.find(f, "other:1", null).user());
    assertFalse(AuthFile.remove(f, "reg:5000"));
    assertFalse(AuthFile.remove(dir.resolve("missing.json"), "reg:5000"));
  }

  @Test
  void storeCreatesAPrivateDirectory() throws Exception {
    Path f = dir.resolve("new/containers/auth.json");
    AuthFile.store(f, "h:1", new AuthFile.Credentials("u", "p"));
    assertEquals(
        "rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f.getParent())));
    assertEquals("u", new AuthFile(Map.of(), dir).find(f, "h:1", null).user());
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> out = new java.util.ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  /** A docker credential helper, as a shell script in DIR/bin, answering for two servers. */
  private Map<String, String> helperOnPath(String name) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path helper = bin.resolve("docker-credential-" + name);
    Files.writeString(
        helper,
        String.join(
            "\n",
            "#!/bin/sh",
            "[ \"$1\" = get ] || exit 3",
            "read -r server",
            "case \"$server\" in",
            "  127.0.0.1:5000) printf '{\"ServerURL\":\"%s\",\"Username\":\"helped\","
                + "\"Secret\":\"from-"
                + name
                + "\"}' \"$server\" ;;",
            "  https://index.docker.io/v1/) printf '{\"Username\":\"hub\",\"Secret\":\"h\"}' ;;",
            "  *) echo 'credentials not found in native keychain'; exit 1 ;;",
            "esac",
            ""));
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
    return Map.of("PATH", bin + ":/usr/bin:/bin");
  }

  @Test
  void credentialHelpersAreAskedAsDockerAsksThem() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(helperOnPath("one"));
    helperOnPath("store");
    Path config = dir.resolve("config.json");
    Files.writeString(
        config,
        "{\"credHelpers\":{\"127.0.0.1:5000\":\"one\"},"
            + "\"credsStore\":\"store\","
            + "\"auths\":{\"127.0.0.1:5000\":{\"auth\":\""
            + b64("ignored:x")
            + "\"},\"127.0.0.1:6000\":{\"auth\":\""
            + b64("filed:y")
            + "\"},\"docker.io\":{}}}");
    AuthFile auth = new AuthFile(env, dir);
    // credHelpers.HOST first, even over an auths entry
    AuthFile.Credentials c = auth.find(config, "127.0.0.1:5000", "app");
    assertEquals("helped", c.user());
    assertEquals("from-one", c.password());
    // auths next
    assertEquals("filed", auth.find(config, "127.0.0.1:6000", "app").user());
    // then the credsStore helper, which keys Docker Hub by its v1 URL
    assertEquals("hub", auth.find(config, "docker.io", "library/busybox").user());
    // a helper that knows nothing for the host: no credentials (anonymous)
    assertNull(auth.find(config, "127.0.0.1:7000", "app"));
  }

  @Test
  void aMissingHelperGivesNoCredentialsAndABadNameIsRefused() throws Exception {
    Path config = dir.resolve("config.json");
    Files.writeString(config, "{\"credsStore\":\"not-installed\"}");
    AuthFile auth = new AuthFile(Map.of("PATH", dir.toString()), dir);
    assertNull(auth.find(config, "127.0.0.1:5000", "app"));
    Files.writeString(config, "{\"credsStore\":\"../../bin/sh\"}");
    InvalidImageException e =
        assertThrows(InvalidImageException.class, () -> auth.find(config, "h:1", "app"));
    assertTrue(e.getMessage().contains("not a valid helper name"), e.getMessage());
  }

  @Test
  void aHelperAnsweringNonsenseIsNamed() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path helper = bin.resolve("docker-credential-broken");
    Files.writeString(helper, "#!/bin/sh\necho not json\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path config = dir.resolve("config.json");
    Files.writeString(config, "{\"credsStore\":\"broken\"}");
    AuthFile auth = new AuthFile(Map.of("PATH", bin.toString()), dir);
    InvalidImageException e =
        assertThrows(InvalidImageException.class, () -> auth.find(config, "h:1", "app"));
    assertTrue(e.getMessage().contains("credential helper 'broken'"), e.getMessage());
  }

  @Test
  void anIdentityTokenEntryBecomesTokenCredentials() throws Exception {
    JsonNode f = json("{\"auths\":{\"docker.io\":{\"identitytoken\":\"r3fresh\"}}}");
    AuthFile.Credentials c = AuthFile.lookup(f, "docker.io", "library/busybox", "f");
    assertEquals(AuthFile.IDENTITY_TOKEN_USER, c.user());
    assertEquals("r3fresh", c.password());
  }
}
