package dev.isula.golden.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.golden.CliRun;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link ContainersStoragePeers} with the overlay driver: layer directories hold the layer's own
 * changes, whiteouts as 0/0 character devices and opaque directories as an xattr. Also reads the
 * same images from an iSulad-layout copy of the store.
 */
@Tag("peers")
class ContainersStorageOverlayPeersTest extends ContainersStoragePeers {
  private static final ObjectMapper JSON = new ObjectMapper();

  ContainersStorageOverlayPeersTest() {
    super("overlay");
  }

  /**
   * podman 4.3.1 with overlay refuses to load the hardlinks sample ("processing tar file(no such
   * file or directory)", a hardlink to a file of a lower layer); buildah's image covers hardlinks
   * within and across layers here.
   */
  @Override
  List<String> samples() {
    return List.of("hello", "whiteouts", "special-files");
  }

  /**
   * iSulad's store (/var/lib/isulad/storage) as its image_store.c and layer_store.c write it, made
   * from this podman store since there is no iSulad here: {@code overlay2-images/ID/images.json}
   * per image beside its big-data files, {@code overlay2-layers/ID/layer.json} and {@code
   * ID.tar-split.gz} per layer, the tar-split holding file entries only (name, size, CRC-64; no tar
   * headers), layer directories {@code overlay2/ID/diff}, no lock files. Every layer is made from
   * its directory, with one warning each.
   */
  @Test
  @Order(5)
  void anIsuladLayoutStoreGivesTheSameImages() throws IOException {
    Path isd = scratch.resolve("isulad");
    Path from = sandbox.graphRoot();
    Files.createDirectories(isd.resolve("overlay2"));
    Files.createDirectories(isd.resolve("overlay2-images"));
    for (JsonNode l : JSON.readTree(from.resolve("overlay-layers/layers.json").toFile())) {
      String id = l.path("id").asText();
      Path dir = Files.createDirectories(isd.resolve("overlay2-layers").resolve(id));
      Files.write(dir.resolve("layer.json"), JSON.writeValueAsBytes(l));
      fileEntriesOnly(
          from.resolve("overlay-layers").resolve(id + ".tar-split.gz"),
          dir.resolve(id + ".tar-split.gz"));
      Tools.run(
          List.of(
              "cp",
              "-a",
              from.resolve("overlay").resolve(id).toString(),
              isd.resolve("overlay2").resolve(id).toString()),
          scratch.root);
    }
    for (JsonNode i : JSON.readTree(from.resolve("overlay-images/images.json").toFile())) {
      String id = i.path("id").asText();
      Path dir = isd.resolve("overlay2-images").resolve(id);
      Tools.run(
          List.of(
              "cp", "-a", from.resolve("overlay-images").resolve(id).toString(), dir.toString()),
          scratch.root);
      // iSulad keeps docker.io names without docker.io/library/
      ObjectNode image = ((ObjectNode) i).deepCopy();
      ArrayNode names = image.putArray("names");
      i.path("names").forEach(n -> names.add(n.asText().replaceFirst("^docker\\.io/library/", "")));
      Files.write(dir.resolve("images.json"), JSON.writeValueAsBytes(image));
    }
    Map<String, String> before = checksum(isd);
    int compared = 0;
    for (StoredImage img : images) {
      Path out = scratch.resolve("isulad-" + images.indexOf(img) + ".tar");
      CliRun r =
          CliRun.isula(
              "export",
              "-q",
              "containers-storage:[overlay2@" + isd + "]" + img.name(),
              out.toString());
      assertEquals(0, r.exitCode(), r::toString);
      assertEquals(img.diffIds().size(), r.err().lines().count(), r::toString);
      assertTrue(
          r.err().contains("tar-split file without tar headers (as iSulad writes them)"),
          r::toString);
      if (everyLayerListsItsDirectories(img)) {
        RootfsComparator.assertMatches(out, img.oracle(), "iSulad layout " + img.name());
        compared++;
      }
    }
    assertTrue(compared >= 2, "compared " + compared);
    assertEquals(before, checksum(isd), "the iSulad-layout store changed");
  }

  /** Copies a tar-split file without its segments, as iSulad's files are. */
  private static void fileEntriesOnly(Path from, Path to) throws IOException {
    try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(
                    new GZIPInputStream(Files.newInputStream(from)), StandardCharsets.UTF_8));
        OutputStream gz = new GZIPOutputStream(Files.newOutputStream(to));
        Writer out = new java.io.OutputStreamWriter(gz, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        JsonNode e = JSON.readTree(line);
        if (e.path("type").asInt() == 1) {
          out.write(JSON.writeValueAsString(e));
          out.write('\n');
        }
      }
    }
  }
}
