package dev.isula.format.containersstorage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.format.containersstorage.Records.ImageRecord;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.UsageException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageLookupTest {
  static final String A = "a1" + "0".repeat(62);
  static final String B = "a10f" + "1".repeat(60);
  static final String C = "c3" + "2".repeat(62);
  static final String D = "d4" + "3".repeat(62);
  static final String DIGEST = "sha256:" + "e".repeat(64);

  static ImageRecord image(String id, List<String> names, String... digests) {
    return new ImageRecord(id, names, null, List.of(), Map.of(), Set.of(digests));
  }

  final ImageLookup lookup =
      new ImageLookup(
          List.of(
              image(A, List.of("docker.io/library/debian:v3", "localhost/app:1"), DIGEST),
              image(B, List.of("quay.io/ns/tool:2")),
              image(C, List.of("localhost/debian:v3")),
              // iSulad strips docker.io/library/ from the names it stores
              image(D, List.of("busybox:latest", "example.org/x/tool:2"))),
          "containers-storage:[vfs@/s]");

  private String find(String ref) throws Exception {
    return lookup.find(ref).id();
  }

  @Test
  void namesResolveAsPodmanResolvesThem() throws Exception {
    assertEquals(A, find("docker.io/library/debian:v3"));
    // a short name means localhost/ first, then docker.io
    assertEquals(C, find("debian:v3"));
    assertEquals(A, find("library/debian:v3"));
    assertEquals(A, find("app:1"));
    assertEquals(A, find("localhost/app:1"));
    assertEquals(D, find("busybox"));
    assertEquals(D, find("docker.io/library/busybox:latest"));
    assertEquals(B, find("quay.io/ns/tool:2"));
    assertEquals(D, find("example.org/x/tool:2"));
  }

  @Test
  void shortNameInAnyRepositoryOnlyWhenUnambiguous() throws Exception {
    assertEquals(B, lookup.find("ns/tool:2").id());
    ImageNotFoundException e = assertThrows(ImageNotFoundException.class, () -> find("tool:2"));
    assertTrue(e.getMessage().contains("is ambiguous"), e.getMessage());
    assertTrue(e.getMessage().contains("quay.io/ns/tool:2"), e.getMessage());
    assertTrue(e.getMessage().contains("example.org/x/tool:2"), e.getMessage());
  }

  @Test
  void idsPrefixesAndDigests() throws Exception {
    assertEquals(A, find(A));
    assertEquals(A, find("sha256:" + A));
    assertEquals(C, find("c32"));
    assertEquals(A, find("@a100"));
    assertEquals(A, find("localhost/app:1@" + A.substring(0, 6)));
    assertEquals(A, find("debian@" + DIGEST));
    assertEquals(A, find("docker.io/library/debian:ignored@" + DIGEST));
    // a hex string that is no id prefix is still tried as a name
    ImageNotFoundException none = assertThrows(ImageNotFoundException.class, () -> find("a1a"));
    assertTrue(none.getMessage().contains("no such image"), none.getMessage());
    assertThrows(UsageException.class, () -> find("@a1"));
  }

  @Test
  void ambiguousIdPrefixListsTheCandidates() {
    for (String ref : List.of("a10", "@a10", "sha256:a10")) {
      ImageNotFoundException amb = assertThrows(ImageNotFoundException.class, () -> find(ref));
      assertTrue(amb.getMessage().contains(ref + " is ambiguous"), amb.getMessage());
      assertTrue(
          amb.getMessage().contains("a10000000000 (docker.io/library/debian:v3, localhost/app:1)")
              && amb.getMessage().contains("a10f11111111 (quay.io/ns/tool:2)"),
          amb.getMessage());
      assertEquals(List.of(A, B), amb.candidates());
    }
  }

  @Test
  void wrongNameForIdOrDigestAndBadInput() {
    assertThrows(ImageNotFoundException.class, () -> find("other:1@" + A));
    assertThrows(ImageNotFoundException.class, () -> find("quay.io/ns/tool@" + DIGEST));
    ImageNotFoundException missing =
        assertThrows(ImageNotFoundException.class, () -> find("nothere:1"));
    assertTrue(
        missing.getMessage().startsWith("containers-storage:[vfs@/s]nothere:1: no such image"));
    assertTrue(missing.candidates().contains("localhost/app:1"));
    assertThrows(UsageException.class, () -> find("Upper:Case"));
    assertThrows(UsageException.class, () -> find("x@"));
    assertThrows(UsageException.class, () -> find("x@nothex"));
  }
}
