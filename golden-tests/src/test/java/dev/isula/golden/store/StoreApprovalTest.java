package dev.isula.golden.store;

import static dev.isula.golden.store.StoreCli.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.golden.SampleImages;
import dev.isula.toolkit.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.approvaltests.Approvals;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approval tests of {@code images} (table, with "now" fixed, and JSON) and {@code inspect} on a
 * store loaded with every sample image: deterministic inputs, so the output is approved once.
 */
class StoreApprovalTest {
  static final String NOW_PROPERTY = "isula.toolkit.now";

  @TempDir static Path tmp;

  static Path root;

  /** What {@code load} printed, archive by archive. */
  static final List<String> LOADED = new ArrayList<>();

  /** An image without a name (an OCI layout entry without a ref name). */
  static final TestImage UNNAMED =
      StoreImages.image("unnamed", StoreImages.layer("unnamed", "an image without a name\n"));

  @BeforeAll
  static void loadSamples() throws Exception {
    root = tmp.resolve("store");
    for (SampleImages.Sample s : SampleImages.all()) {
      Path archive = tmp.resolve(s.name() + "-docker.tar");
      s.writeDockerArchive(archive);
      StoreCli.Run r =
          ok(root, "load", "-q", "--platform", "linux/amd64", "-i", "docker-archive:" + archive);
      LOADED.add("$ isula load -i " + s.name() + "-docker.tar\n" + r.out());
    }
    ok(root, "tag", "isula-sample", "example.org:5000/ns/hello:1.0");
    ok(root, "tag", "isula-sample/whiteouts:1", "isula-sample/whiteouts:latest");
    Path layout = UNNAMED.writeOciLayout(tmp.resolve("unnamed-layout"), null);
    StoreCli.Run r = ok(root, "load", "-q", "-i", "oci:" + layout);
    LOADED.add("$ isula load -i oci:unnamed-layout\n" + r.out());
  }

  @AfterEach
  void clearNow() {
    System.clearProperty(NOW_PROPERTY);
  }

  @Test
  void loadOutput() {
    Approvals.verify(String.join("\n", LOADED));
  }

  @Test
  void imagesTable() {
    StringBuilder sb = new StringBuilder();
    for (String now :
        List.of(
            "2020-09-13T12:27:00Z",
            "2020-09-13T13:30:00Z",
            "2020-09-13T20:00:00Z",
            "2020-09-16T00:00:00Z",
            "2020-10-01T00:00:00Z",
            "2021-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z")) {
      System.setProperty(NOW_PROPERTY, now);
      StoreCli.Run r = ok(root, "images");
      assertEquals("", r.err(), r::toString);
      sb.append("$ isula images    # now: ").append(now).append('\n').append(r.out()).append('\n');
    }
    Approvals.verify(sb.toString());
  }

  @Test
  void imagesJson() {
    StoreCli.Run r = ok(root, "images", "--format", "json");
    assertEquals("", r.err(), r::toString);
    Approvals.verify(r.out());
  }

  @Test
  void inspect() throws Exception {
    List<String> refs = new ArrayList<>();
    for (SampleImages.Sample s : SampleImages.all()) {
      refs.add(s.repoTag());
    }
    refs.add("example.org:5000/ns/hello:1.0");
    refs.add(StoreImages.id(UNNAMED));
    List<String> args = new ArrayList<>(List.of("inspect", "--root", root.toString()));
    args.addAll(refs);
    StoreCli.Run r = ok(args.toArray(String[]::new));
    assertEquals("", r.err(), r::toString);
    assertTrue(!r.out().contains(root.toString()), "no temporary path in the output");
    Approvals.verify("$ isula inspect " + String.join(" ", refs) + "\n" + r.out());
  }

  @Test
  void inspectIsTheSameForEverySpellingOfAName() {
    String canonical = ok(root, "inspect", "isula-sample:latest").out();
    for (String ref : List.of("isula-sample", "docker.io/library/isula-sample:latest")) {
      String out = ok(root, "inspect", ref).out();
      // Source names the reference as given; everything else is the same image
      assertEquals(
          canonical.replaceAll("\"Source\" : \"[^\"]*\"", "Source"),
          out.replaceAll("\"Source\" : \"[^\"]*\"", "Source"),
          ref);
    }
    assertTrue(Files.isRegularFile(root.resolve("index.json")));
  }
}
