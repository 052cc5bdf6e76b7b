package dev.isula.golden.roundtrip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fifos and device nodes through {@code export --split} into a directory and back. Setting the
 * attributes of such a node must not open it: opening a fifo blocks until a writer appears, and
 * opening a device node talks to the host's driver (or fails when there is none). Each test has a
 * timeout on a separate thread, so a hang fails the test instead of the build.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SpecialFilesSplitTest {
  @TempDir Path tmp;

  private String image(TarBuilder layer) throws Exception {
    return "docker-archive:"
        + TestImage.image()
            .layer(layer.build(), Compression.GZIP)
            .writeDockerArchive(tmp.resolve("in.tar"), "isula-rt/special:1");
  }

  /** Split, import --rootfs, export again: the node must be there with its attributes. */
  private void roundTrip(String image, String path, String expectedDescription) throws Exception {
    Path out = tmp.resolve("split");
    Isula.Run run = SplitRoundTripTest.split(List.of(), "dir", image, out);
    assertEquals(0, run.exitCode(), run::toString);
    assertEquals(expectedDescription, Trees.describe(out.resolve("rootfs").resolve(path)));
    String ref = WrittenImage.Target.OCI.ref(tmp, "restored");
    Isula.ok(
        "import",
        "-q",
        "--rootfs",
        out.resolve("rootfs").toString(),
        out.resolve("empty.tar").toString(),
        "-o",
        ref);
    Path again = tmp.resolve("again.tar");
    Isula.ok("export", "-q", ref, again.toString());
    String listing = Trees.canonicalListing(Files.readAllBytes(again));
    assertTrue(listing.contains(" " + path + "\n"), listing);
  }

  @Test
  void fifoIsCreatedWithoutBeingOpened() throws Exception {
    TarBuilder t = TarBuilder.tar();
    t.dir("run");
    t.entry(
        TarBuilder.base("run/initctl").type(EntryType.FIFO).mode(0620).gid(5).build(), new byte[0]);
    roundTrip(image(t), "run/initctl", "p 0620 0:5 rdev=0");
  }

  /**
   * Block device 240,0 (a major reserved for local/experimental use, so no driver answers it). An
   * image may carry any device node; extracting it must not depend on the host having it.
   */
  @Test
  void deviceNodeWithoutAHostDriverIsCreated() throws Exception {
    Assumptions.assumeTrue(Peers.isRoot(), "device nodes are only extracted as root");
    TarBuilder t = TarBuilder.tar();
    t.dir("dev");
    t.entry(
        TarBuilder.base("dev/exp0")
            .type(EntryType.BLOCK_DEVICE)
            .mode(0660)
            .gid(6)
            .device(240, 0)
            .build(),
        new byte[0]);
    roundTrip(image(t), "dev/exp0", "b 0660 0:6 rdev=" + ((240L << 8) | 0));
  }

  /** A character device the host has (1,3 is /dev/null everywhere). */
  @Test
  void characterDeviceIsCreated() throws Exception {
    Assumptions.assumeTrue(Peers.isRoot(), "device nodes are only extracted as root");
    TarBuilder t = TarBuilder.tar();
    t.dir("dev");
    t.charDevice("dev/null", 1, 3);
    roundTrip(image(t), "dev/null", "c 0666 0:0 rdev=" + ((1L << 8) | 3));
  }
}
