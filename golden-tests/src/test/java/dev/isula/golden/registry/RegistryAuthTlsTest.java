package dev.isula.golden.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.json.Json;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry with TLS (a server certificate from a CA made for the test with openssl) and htpasswd
 * authentication: untrusted certificates and missing or wrong credentials fail with one clear line;
 * {@code --cert-dir}, {@code login} (with {@code --password-stdin}), a hand-written credentials
 * file and {@code --creds} work, and skopeo sees what we push.
 */
@Tag("peers")
class RegistryAuthTlsTest {
  private static final String USER = "isula";
  private static final String PASSWORD = "s3cret-pass";

  @TempDir static Path work;
  static LocalRegistry registry;
  static Path certDir;
  static Path layout;
  static byte[] expected;

  @BeforeAll
  static void start() throws Exception {
    LocalRegistry.requireInstalled();
    Exec.require("openssl", "htpasswd");
    Path tls = Files.createDirectories(work.resolve("tls"));
    certDir = Files.createDirectories(work.resolve("certs"));
    String ca = tls.resolve("ca.crt").toString();
    String caKey = tls.resolve("ca.key").toString();
    Exec.ok(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=isula test CA",
        "-keyout",
        caKey,
        "-out",
        ca);
    Exec.ok(
        "openssl",
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        tls.resolve("server.key").toString(),
        "-out",
        tls.resolve("server.csr").toString());
    Files.writeString(tls.resolve("san.cnf"), "subjectAltName=IP:127.0.0.1\n");
    Exec.ok(
        "openssl",
        "x509",
        "-req",
        "-days",
        "2",
        "-set_serial",
        "2",
        "-in",
        tls.resolve("server.csr").toString(),
        "-CA",
        ca,
        "-CAkey",
        caKey,
        "-extfile",
        tls.resolve("san.cnf").toString(),
        "-out",
        tls.resolve("server.crt").toString());
    Files.copy(Path.of(ca), certDir.resolve("ca.crt"));
    Exec.Result h = Exec.ok("htpasswd", "-Bbn", USER, PASSWORD);
    Files.writeString(tls.resolve("htpasswd"), h.stdout());
    registry =
        LocalRegistry.start(
            work.resolve("registry"),
            tls.resolve("server.crt"),
            tls.resolve("server.key"),
            tls.resolve("htpasswd"));
    layout = RegistryImages.layout(work.resolve("layout"), RegistryImages.sample("auth"), "v1");
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

  /** skopeo, as a peer, pushes the sample image with the right credentials. */
  private static void pushWithSkopeo(String repoTag) throws Exception {
    Exec.Result copy =
        Exec.run(
            List.of(
                "skopeo",
                "copy",
                "-q",
                "--dest-cert-dir",
                certDir.toString(),
                "--dest-creds",
                USER + ":" + PASSWORD,
                "oci:" + layout + ":v1",
                ref(repoTag)));
    assertEquals(0, copy.exit(), copy::toString);
  }

  private static Path noCredentials() {
    return work.resolve("no-such-auth.json");
  }

  private static void assertOneLine(Isula.Run r, String expectedLine) {
    assertEquals(1, r.exit(), r::toString);
    assertEquals(List.of(expectedLine), r.errLines(), r::toString);
  }

  @Test
  void untrustedCertificateIsAClearError() {
    Isula.Run r =
        Isula.run(
            "export",
            "-q",
            "--authfile",
            noCredentials().toString(),
            ref("auth/x:v1"),
            work.resolve("x.tar").toString());
    assertEquals(1, r.exit(), r::toString);
    assertEquals(1, r.errLines().size(), r::toString);
    String line = r.errLines().get(0);
    assertTrue(
        line.startsWith(
            "isula export: "
                + registry.host()
                + ": the registry's TLS certificate is not trusted ("),
        line);
    assertTrue(
        line.endsWith("give its CA certificate with --cert-dir DIR, or use --tls-verify=false"),
        line);
  }

  @Test
  void missingCredentialsAskForALogin() {
    Isula.Run r =
        Isula.run(
            "convert",
            "-q",
            "--cert-dir",
            certDir.toString(),
            "--authfile",
            noCredentials().toString(),
            "oci:" + layout + ":v1",
            ref("auth/x:v1"));
    assertOneLine(
        r,
        "isula convert: authentication required for "
            + registry.host()
            + "; run isula login "
            + registry.host());
  }

  @Test
  void wrongPasswordFailsInOneLine() {
    Isula.Run login =
        Isula.run(
            "login",
            "--cert-dir",
            certDir.toString(),
            "--authfile",
            work.resolve("wrong.json").toString(),
            "-u",
            USER,
            "-p",
            "not-the-password",
            registry.host());
    assertEquals(1, login.exit(), login::toString);
    assertEquals(1, login.errLines().size(), login::toString);
    assertTrue(
        login
            .err()
            .startsWith(
                "isula login: authentication failed for " + registry.host() + " as " + USER),
        login.err());
    assertFalse(login.err().contains("not-the-password"), login.err());
    assertFalse(Files.exists(work.resolve("wrong.json")), "nothing stored");

    Isula.Run push =
        Isula.run(
            "convert",
            "-q",
            "--cert-dir",
            certDir.toString(),
            "--creds",
            USER + ":not-the-password",
            "oci:" + layout + ":v1",
            ref("auth/x:v1"));
    assertEquals(1, push.exit(), push::toString);
    assertEquals(1, push.errLines().size(), push::toString);
    assertTrue(
        push.err().startsWith("isula convert: authentication failed for " + registry.host()),
        push.err());
  }

  @Test
  void loginPushPullLogout() throws Exception {
    Path auth = work.resolve("login/auth.json");
    InputStream stdin = System.in;
    Isula.Run login;
    try {
      System.setIn(new ByteArrayInputStream((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)));
      login =
          Isula.run(
              "login",
              "--cert-dir",
              certDir.toString(),
              "--authfile",
              auth.toString(),
              "-u",
              USER,
              "--password-stdin",
              registry.host());
    } finally {
      System.setIn(stdin);
    }
    login.ok();
    assertEquals("Login Succeeded!", login.out().strip());
    JsonNode file = Json.parse(Files.readAllBytes(auth), "auth.json");
    assertEquals(
        Base64.getEncoder()
            .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8)),
        file.get("auths").get(registry.host()).get("auth").asText());

    Isula.run(
            "convert",
            "-q",
            "--cert-dir",
            certDir.toString(),
            "--authfile",
            auth.toString(),
            "oci:" + layout + ":v1",
            ref("auth/app:v1"))
        .ok();
    String skopeoCreds = USER + ":" + PASSWORD;
    assertEquals(
        RegistryImages.layoutManifestDigest(layout),
        RegistryImages.registryManifestDigest(
            ref("auth/app:v1"), "--cert-dir", certDir.toString(), "--creds", skopeoCreds));
    assertArrayEquals(
        expected,
        RegistryImages.export(
            work,
            ref("auth/app:v1"),
            "--cert-dir",
            certDir.toString(),
            "--authfile",
            auth.toString()));

    Isula.Run logout = Isula.run("logout", "--authfile", auth.toString(), registry.host()).ok();
    assertEquals("Removed login credentials for " + registry.host(), logout.out().strip());
    assertFalse(
        Json.parse(Files.readAllBytes(auth), "auth.json").get("auths").has(registry.host()));
    Isula.Run again = Isula.run("logout", "--authfile", auth.toString(), registry.host());
    assertOneLine(again, "isula logout: not logged in to " + registry.host());
    Isula.Run denied =
        Isula.run(
            "export",
            "-q",
            "--cert-dir",
            certDir.toString(),
            "--authfile",
            auth.toString(),
            ref("auth/app:v1"),
            work.resolve("denied.tar").toString());
    assertOneLine(
        denied,
        "isula export: authentication required for "
            + registry.host()
            + "; run isula login "
            + registry.host());
  }

  @Test
  void handWrittenCredentialsFileAndSkopeoPush() throws Exception {
    pushWithSkopeo("auth/skopeo:v1");
    Path auth = work.resolve("docker-config.json");
    // docker's own spelling: a URL key, other sections kept
    Files.writeString(
        auth,
        "{\"auths\":{\"https://"
            + registry.host()
            + "/\":{\"auth\":\""
            + Base64.getEncoder()
                .encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8))
            + "\"}},\"psFormat\":\"table\"}");
    assertArrayEquals(
        expected,
        RegistryImages.export(
            work,
            ref("auth/skopeo:v1"),
            "--cert-dir",
            certDir.toString(),
            "--authfile",
            auth.toString()));
  }

  /** docker's credsStore: the password comes from docker-credential-NAME, run from PATH. */
  @Test
  void credentialsFromADockerCredentialHelper() throws Exception {
    pushWithSkopeo("auth/helper:v1");
    Path bin = Files.createDirectories(work.resolve("helper-bin"));
    Path helper = bin.resolve("docker-credential-testvault");
    Files.writeString(
        helper,
        "#!/bin/sh\n"
            + "[ \"$1\" = get ] || exit 3\n"
            + "read -r server\n"
            + "[ \"$server\" = '"
            + registry.host()
            + "' ] || { echo 'credentials not found in native keychain'; exit 1; }\n"
            + "printf '{\"Username\":\"%s\",\"Secret\":\"%s\"}' '"
            + USER
            + "' '"
            + PASSWORD
            + "'\n");
    Files.setPosixFilePermissions(
        helper, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path config = work.resolve("helper-config.json");
    // docker writes an empty auths entry next to a credsStore
    Files.writeString(
        config, "{\"auths\":{\"" + registry.host() + "\":{}},\"credsStore\":\"testvault\"}");
    Path out = work.resolve("from-helper.tar");
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.isula.toolkit.cli.IsulaCli",
                "export",
                "-q",
                "--cert-dir",
                certDir.toString(),
                "--authfile",
                config.toString(),
                ref("auth/helper:v1"),
                out.toString())
            .redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    Process p = pb.start();
    String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(2, java.util.concurrent.TimeUnit.MINUTES), "timed out");
    assertEquals(0, p.exitValue(), said);
    assertArrayEquals(expected, Files.readAllBytes(out));
  }

  @Test
  void tlsVerifyFalseNeedsNoCertificate() throws Exception {
    Isula.run(
            "convert",
            "-q",
            "--tls-verify=false",
            "--creds",
            USER + ":" + PASSWORD,
            "oci:" + layout + ":v1",
            ref("auth/insecure:v1"))
        .ok();
    assertArrayEquals(
        expected,
        RegistryImages.export(
            work, ref("auth/insecure:v1"), "--tls-verify=false", "--creds", USER + ":" + PASSWORD));
  }
}
