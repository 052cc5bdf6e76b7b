package dev.isula.golden;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.rootfs.DirectoryRootfsReader;
import dev.isula.toolkit.rootfs.DirectoryRootfsWriter;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarListing;
import dev.isula.toolkit.tar.TarReader;
import dev.isula.toolkit.tar.TarWriter;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties of flattening that hold for any image, checked through the command line. The exporter
 * streams the bottom layer and indexes the upper ones, two different code paths; an empty layer is
 * a no-op, so putting one underneath an image moves every layer onto the upper path and must not
 * change the resulting filesystem (only, possibly, the order of entries).
 */
class FlattenRulesTest {
  @TempDir Path tmp;

  static Stream<String> sampleNames() {
    return SampleImages.names().stream();
  }

  private String exportListing(TestImage img, String label) throws Exception {
    Path layout = img.writeOciLayout(tmp.resolve(label + "-layout"), "v1");
    Path out = tmp.resolve(label + ".tar");
    CliRun run = CliRun.export(List.of(), "oci:" + layout + ":v1", out.toString());
    assertEquals(0, run.exitCode(), run::toString);
    try (InputStream in = Files.newInputStream(out)) {
      return TarListing.of(in);
    }
  }

  /** The listing's lines sorted by entry name (the 7th field onwards). */
  private static String sortedByName(String listing) {
    List<String> lines = new ArrayList<>(listing.lines().toList());
    lines.sort(Comparator.comparing(FlattenRulesTest::nameField));
    return String.join("\n", lines) + "\n";
  }

  private static String nameField(String line) {
    String[] f = line.split(" ", 7);
    return f[6];
  }

  private static TestImage onTopOfAnEmptyLayer(TestImage image) {
    TestImage img = TestImage.image().layer(TarBuilder.tar().build(), Compression.GZIP);
    for (byte[] tar : image.tars()) {
      img.layer(tar, Compression.GZIP);
    }
    return img;
  }

  private static TestImage withLayers(byte[]... tars) {
    TestImage img = TestImage.image();
    for (byte[] t : tars) {
      img.layer(t, Compression.GZIP);
    }
    return img;
  }

  private static void assertContainsEntry(
      String listing, String type, String name, String content) {
    String sha = content == null ? "-" : Digest.sha256(content.getBytes(UTF_8)).hex();
    boolean found =
        listing
            .lines()
            .anyMatch(l -> l.startsWith(type + " ") && l.endsWith(" " + sha + " " + name));
    assertTrue(found, () -> type + " " + name + " with " + sha + " expected in:\n" + listing);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sampleNames")
  void anEmptyBottomLayerChangesNothing(String sampleName) throws Exception {
    TestImage image = SampleImages.byName(sampleName).image();
    String plain = exportListing(image, "plain");
    String lifted = exportListing(onTopOfAnEmptyLayer(image), "lifted");
    assertEquals(sortedByName(plain), sortedByName(lifted), sampleName);
  }

  /**
   * A layer tar may hold the same path more than once (tar's append semantics: the last one wins).
   * As an upper layer, such a layer is indexed before anything is written, so each path is emitted
   * once with its last entry, and a hardlink made before its target was replaced keeps the old
   * content. As the bottom layer it is streamed, so a repeated path is written again where it
   * repeats (documented in docs/flattening.md); extracting that tar must still give exactly the
   * same filesystem.
   */
  @Test
  void aPathRepeatedWithinOneLayerEndsAsTheLastEntry() throws Exception {
    byte[] repeats =
        TarBuilder.tar()
            .dir("etc")
            .file("etc/a", "first version\n")
            .file("etc/a", "second version\n")
            .file("x", "a file, then a directory\n")
            .dir("x")
            .file("x/y", "under the directory\n")
            .file("old", "content before the replacement\n")
            .hardlink("link", "old")
            .file("old", "content after the replacement\n")
            .dir("etc", 0700)
            .build();
    byte[] other = TarBuilder.tar().file("z", "another layer\n").build();

    String asUpper = exportListing(withLayers(other, repeats), "upper");
    Map<String, Integer> counts = new TreeMap<>();
    asUpper.lines().forEach(l -> counts.merge(nameField(l).split(" ")[0], 1, Integer::sum));
    counts.forEach((name, n) -> assertEquals(1, n, name + " emitted " + n + " times:\n" + asUpper));
    assertContainsEntry(asUpper, "f", "etc/a", "second version\n");
    assertContainsEntry(asUpper, "f", "link", "content before the replacement\n");
    assertContainsEntry(asUpper, "f", "old", "content after the replacement\n");
    assertContainsEntry(asUpper, "d", "x/", null);
    assertTrue(asUpper.contains("d 0700 0:0(root:root) 0 1600000000 - etc/\n"), asUpper);

    assertEquals(
        extractedListing(withLayers(other, repeats), "upper-x"),
        extractedListing(withLayers(repeats, other), "bottom-x"),
        "the same layer must give the same filesystem as bottom and as upper layer");
  }

  /** Exports, extracts the tar with tar semantics (later entries win), and lists the tree. */
  private String extractedListing(TestImage img, String label) throws Exception {
    Path layout = img.writeOciLayout(tmp.resolve(label + "-layout"), "v1");
    Path out = tmp.resolve(label + ".tar");
    CliRun run = CliRun.export(List.of(), "oci:" + layout + ":v1", out.toString());
    assertEquals(0, run.exitCode(), run::toString);
    Path dir = Files.createDirectory(tmp.resolve(label + "-rootfs"));
    DirectoryRootfsWriter writer = DirectoryRootfsWriter.create(dir, s -> {});
    try (InputStream in = Files.newInputStream(out)) {
      TarReader reader = new TarReader(in);
      TarEntry e;
      while ((e = reader.next()) != null) {
        writer.write(e, reader.content());
      }
    }
    writer.finish();
    ByteArrayOutputStream walked = new ByteArrayOutputStream();
    TarWriter tar = new TarWriter(walked);
    DirectoryRootfsReader.write(dir, tar, s -> {});
    tar.finish();
    return TarListing.of(new ByteArrayInputStream(walked.toByteArray()));
  }
}
