package dev.isula.golden;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.isula.toolkit.testing.PeerTarListing;
import dev.isula.toolkit.testing.TarBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hook that has GNU tar and bsdtar list every tarball a test's command wrote. */
class WrittenTarsTest {
  @TempDir Path tmp;

  private static void requireTools() {
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    boolean present =
        Files.isExecutable(Path.of("/usr/bin/tar"))
            && Files.isExecutable(Path.of("/usr/bin/bsdtar"));
    if (ci && !present) {
      throw new AssertionError("CI=true but GNU tar or bsdtar is missing");
    }
    assumeTrue(present, "GNU tar and bsdtar needed");
  }

  /** A tarball cut inside an entry's data: GNU tar says "Unexpected EOF in archive". */
  private static byte[] truncated(String marker) {
    byte[] whole =
        TarBuilder.tar().file("a", marker + "x".repeat(4000)).file("b", "y".repeat(4000)).build();
    return Arrays.copyOf(whole, 512 + 1024);
  }

  @Test
  void aTarThePeersCannotReadFailsWithTheirWords() {
    requireTools();
    AssertionError e =
        assertThrows(AssertionError.class, () -> PeerTarListing.check(truncated("one"), "cut.tar"));
    assertTrue(e.getMessage().contains("cut.tar"), e.getMessage());
    assertTrue(e.getMessage().contains("Unexpected EOF"), e.getMessage());
  }

  @Test
  void aFileTheRunWroteIsListedButAnUnchangedInputIsNot() throws Exception {
    requireTools();
    Path input = tmp.resolve("in.tar");
    Files.write(input, truncated("two")); // unreadable, but not written by the run
    Path output = tmp.resolve("out.tar");
    WrittenTars w =
        WrittenTars.before(
            List.of("export", input.toString(), "docker-archive:" + output + ":x:1"), tmp);
    w.check(); // nothing written yet: the input is left alone
    Files.write(output, truncated("three"));
    AssertionError e = assertThrows(AssertionError.class, w::check);
    assertTrue(e.getMessage().contains(output.toString()), e.getMessage());
  }

  @Test
  void aWrittenLayoutHasItsNewLayerBlobsListed() throws Exception {
    requireTools();
    Path layout = Files.createDirectories(tmp.resolve("layout/blobs/sha256"));
    Files.writeString(tmp.resolve("layout/oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    WrittenTars w = WrittenTars.before(List.of("oci:" + tmp.resolve("layout") + ":t"), tmp);
    Files.write(layout.resolve("0123"), truncated("four"));
    AssertionError e = assertThrows(AssertionError.class, w::check);
    assertTrue(e.getMessage().contains("0123"), e.getMessage());
  }
}
