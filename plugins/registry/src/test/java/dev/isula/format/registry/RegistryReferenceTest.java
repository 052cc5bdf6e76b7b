package dev.isula.format.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.UsageException;
import org.junit.jupiter.api.Test;

class RegistryReferenceTest {
  private static final String D =
      "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  @Test
  void hostPortRepositoryTag() throws UsageException {
    RegistryReference r = RegistryReference.parse("//127.0.0.1:5000/team/app:v1.2");
    assertEquals("127.0.0.1:5000", r.host());
    assertEquals("127.0.0.1:5000", r.apiHost());
    assertEquals("team/app", r.repository());
    assertEquals("v1.2", r.tag());
    assertNull(r.digest());
    assertTrue(r.explicitTag());
    assertEquals("v1.2", r.manifestReference());
    assertEquals("127.0.0.1:5000/team/app:v1.2", r.imageName());
    assertEquals("docker://127.0.0.1:5000/team/app:v1.2", r.toString());
  }

  @Test
  void defaultTagAndDigest() throws UsageException {
    RegistryReference r = RegistryReference.parse("//localhost/app");
    assertEquals("localhost", r.host());
    assertEquals("latest", r.tag());
    assertFalse(r.explicitTag());
    RegistryReference d = RegistryReference.parse("//reg.example.org:443/a/b@" + D);
    assertEquals(D, d.digest().toString());
    assertEquals(D, d.manifestReference());
    assertNull(d.imageName());
    RegistryReference both = RegistryReference.parse("//reg.example.org/a:t@" + D);
    assertEquals("t", both.tag());
    assertEquals(D, both.manifestReference());
  }

  @Test
  void dockerHubShortNames() throws UsageException {
    RegistryReference r = RegistryReference.parse("//busybox");
    assertEquals("docker.io", r.host());
    assertEquals("registry-1.docker.io", r.apiHost());
    assertEquals("library/busybox", r.repository());
    assertEquals("latest", r.tag());
    assertEquals(
        "library/ubuntu", RegistryReference.parse("//docker.io/ubuntu:22.04").repository());
    assertEquals("bitnami/redis", RegistryReference.parse("//bitnami/redis").repository());
    assertEquals("docker.io", RegistryReference.parse("//index.docker.io/a/b").host());
  }

  @Test
  void ipv6Host() throws UsageException {
    RegistryReference r = RegistryReference.parse("//[::1]:5000/app:1");
    assertEquals("[::1]:5000", r.host());
    assertEquals("app", r.repository());
  }

  @Test
  void malformed() {
    for (String bad :
        new String[] {
          "127.0.0.1:5000/app", // no //
          "//",
          "//127.0.0.1:5000/",
          "//127.0.0.1:5000/App",
          "//127.0.0.1:5000/app:",
          "//127.0.0.1:5000/app:bad tag",
          "//127.0.0.1:5000/app@sha256:123",
          "//127.0.0.1:5000/a//b",
          "//bad_host:5000/app"
        }) {
      assertThrows(UsageException.class, () -> RegistryReference.parse(bad), bad);
    }
  }
}
