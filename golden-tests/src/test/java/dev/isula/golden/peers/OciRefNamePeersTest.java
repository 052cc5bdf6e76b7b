package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.isula.golden.CliRun;
import dev.isula.golden.SampleImages;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An OCI ref name that is only a tag ({@code oci:DIR:v3}) names no image: {@code save} and {@code
 * convert} into a docker-archive write no RepoTags for it, as {@code skopeo copy} does, instead of
 * making the tag a repository ({@code v3:latest}); a ref name that is an image name is kept.
 */
class OciRefNamePeersTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @BeforeAll
  static void tools() {
    Tools.require("skopeo");
  }

  private static List<String> repoTags(Path archive) throws IOException {
    JsonNode m = JSON.readTree(DockerPeersTest.tarFiles(archive).get("manifest.json"));
    assertEquals(1, m.size(), archive::toString);
    List<String> tags = new ArrayList<>();
    m.get(0).path("RepoTags").forEach(t -> tags.add(t.asText()));
    return tags;
  }

  private static void ok(CliRun r) {
    assertEquals(0, r.exitCode(), r::toString);
  }

  @Test
  void aTagOnlyRefNameNamesNoImageAsSkopeoReadsIt() throws IOException {
    SampleImages.Sample s = SampleImages.byName("hello");
    record Case(String refName, List<String> expected) {}
    for (Case c :
        List.of(
            new Case("v3", List.of()),
            new Case("latest", List.of()),
            new Case("example.org/ns/app:1", List.of("example.org/ns/app:1")),
            new Case("app:2", List.of("app:2")))) {
      Path layout = tmp.resolve("layout-" + c.refName().replaceAll("[/:]", "_"));
      s.image().writeOciLayout(layout, c.refName());
      String ref = "oci:" + layout + ":" + c.refName();
      Path saved = tmp.resolve("saved-" + layout.getFileName() + ".tar");
      ok(
          CliRun.isula(
              "save", "-q", "--root", tmp.resolve("store").toString(), ref, "-o", saved + ""));
      assertEquals(c.expected(), repoTags(saved), "save " + ref);
      Path converted = tmp.resolve("converted-" + layout.getFileName() + ".tar");
      ok(CliRun.isula("convert", "-q", ref, "docker-archive:" + converted));
      assertEquals(c.expected(), repoTags(converted), "convert " + ref);
      if (c.expected().isEmpty()) {
        // skopeo: the same image, no name either
        Path sk = tmp.resolve("skopeo-" + layout.getFileName() + ".tar");
        Tools.run(List.of("skopeo", "copy", "-q", ref, "docker-archive:" + sk), tmp);
        assertEquals(repoTags(sk), repoTags(saved), "skopeo copy " + ref + " docker-archive:");
      }
    }
  }
}
