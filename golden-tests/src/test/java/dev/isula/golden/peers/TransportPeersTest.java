package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The same image carried by other tools into other transports must flatten to a byte-identical
 * rootfs tar, which must also match umoci's unpack of the original OCI layout (umoci 0.4.7 reads
 * neither archives nor zstd layers, and every copy keeps the layers' DiffIDs, so that unpack is the
 * oracle for all of them).
 */
@Tag("peers")
@ExtendWith(SyntheticImageExtension.class)
class TransportPeersTest {

  @BeforeAll
  static void requireTools() {
    Tools.requireThat(Tools.isRoot(), "must run as root (mknod, chown, umoci keeping owners)");
    Tools.require("umoci", "buildah", "skopeo", "getfattr", "setfattr", "tar", "mknod", "mkfifo");
  }

  @Test
  void skopeoDockerArchive(SyntheticImage img) throws IOException {
    check(img, "docker-archive:" + img.skopeoDockerArchive() + ":test:v1");
  }

  @Test
  void skopeoOciArchive(SyntheticImage img) throws IOException {
    check(img, "oci-archive:" + img.skopeoOciArchive() + ":v1");
  }

  @Test
  void skopeoZstdLayers(SyntheticImage img) throws IOException {
    Path zstd = img.skopeoZstdLayout();
    JsonNode manifest = SyntheticImage.manifest(zstd, SyntheticImage.OPAQUE_TAG);
    for (JsonNode l : manifest.get("layers")) {
      assertEquals(
          "application/vnd.oci.image.layer.v1.tar+zstd",
          l.get("mediaType").asText(),
          "skopeo did not write zstd layers: " + manifest);
    }
    check(img, "oci:" + zstd + ":" + SyntheticImage.OPAQUE_TAG);
  }

  @Test
  void podmanSavedDockerArchive(SyntheticImage img) throws IOException {
    Tools.require("podman");
    check(img, "docker-archive:" + img.podmanSavedArchive());
  }

  private static void check(SyntheticImage img, String reference) throws IOException {
    Path baseline = img.export(img.opaqueRef());
    Path ours = img.export(reference);
    assertSameBytes(baseline, ours, reference);
    RootfsComparator.assertMatches(
        ours, img.oracle(img.opaqueLayout, SyntheticImage.OPAQUE_TAG), reference);
  }

  /** Fails naming the first entry that differs, if the two tars are not identical. */
  static void assertSameBytes(Path expected, Path actual, String what) throws IOException {
    long at = Files.mismatch(expected, actual);
    if (at < 0) {
      return;
    }
    String detail;
    try (InputStream a = new BufferedInputStream(Files.newInputStream(expected));
        InputStream b = new BufferedInputStream(Files.newInputStream(actual))) {
      TarReader ra = new TarReader(a);
      TarReader rb = new TarReader(b);
      detail = "no header differs (content or padding does)";
      int i = 0;
      while (true) {
        TarEntry ea = ra.next();
        TarEntry eb = rb.next();
        if (ea == null && eb == null) {
          break;
        }
        if (ea == null || !ea.equals(eb)) {
          detail = "entry #" + i + ": oci layout has " + ea + ", this one has " + eb;
          break;
        }
        if (ea.isFile()
            && !RootfsComparator.sha256(ra.content())
                .equals(RootfsComparator.sha256(rb.content()))) {
          detail = "entry #" + i + " " + ea.name() + ": content differs";
          break;
        }
        i++;
      }
    } catch (IsulaException e) {
      detail = "and one of them cannot be read back: " + e.getMessage();
    }
    fail(
        what
            + ": rootfs tar is not byte-identical to the one of the oci layout (sizes "
            + Files.size(expected)
            + " vs "
            + Files.size(actual)
            + ", first difference at byte "
            + at
            + "); "
            + detail);
  }

  @Test
  void sanityExportIsNotEmpty(SyntheticImage img) throws IOException {
    assertTrue(RootfsComparator.countEntries(img.export(img.opaqueRef())) > 50);
  }
}
