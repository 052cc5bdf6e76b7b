package dev.isula.format.containersstorage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.UsageException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The store specifier is split as containers/image's storage transport splits it. */
class StoreReferenceTest {
  @Test
  void fullSpecifier() throws Exception {
    StoreReference r =
        StoreReference.parse("[overlay@/var/lib/s+/run/s:overlay.mountopt=nodev,a=b]busybox:1");
    assertEquals("overlay", r.driver());
    assertEquals("/var/lib/s", r.graphRoot());
    assertEquals("/run/s", r.runRoot());
    assertEquals(List.of("overlay.mountopt=nodev", "a=b"), r.options());
    assertEquals("busybox:1", r.image());
  }

  @Test
  void partialSpecifiers() throws Exception {
    StoreReference graphOnly = StoreReference.parse("[/g]img");
    assertNull(graphOnly.driver());
    assertEquals("/g", graphOnly.graphRoot());
    StoreReference noRun = StoreReference.parse("[vfs@/g:opt]img");
    assertEquals("vfs", noRun.driver());
    assertEquals("/g", noRun.graphRoot());
    assertNull(noRun.runRoot());
    assertEquals(List.of("opt"), noRun.options());
    // options are peeled before the run root, so a run root follows the graph root directly
    StoreReference run = StoreReference.parse("[vfs@/g+/r]img@sha256:" + "a".repeat(64));
    assertEquals("/r", run.runRoot());
    assertEquals("img@sha256:" + "a".repeat(64), run.image());
    StoreReference none = StoreReference.parse("docker.io/library/busybox:latest");
    assertNull(none.graphRoot());
    assertEquals("docker.io/library/busybox:latest", none.image());
  }

  @Test
  void malformedSpecifiersAreUsageErrors() {
    for (String bad :
        List.of(
            "[", "[]img", "[vfs@]img", "[@/g]img", "[rel/path]img", "[vfs@/g+run]img", "[/g]")) {
      UsageException e = assertThrows(UsageException.class, () -> StoreReference.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("containers-storage:" + bad + ": "), e.getMessage());
    }
  }
}
