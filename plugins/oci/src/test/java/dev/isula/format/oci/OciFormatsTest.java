package dev.isula.format.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciFormatsTest {
  @TempDir Path tmp;

  private final OciLayoutFormat oci = new OciLayoutFormat();
  private final OciArchiveFormat ociArchive = new OciArchiveFormat();

  private static TestImage image(String content) {
    return TestImage.image()
        .layer(TarBuilder.tar().dir("etc").file("etc/a", content).build(), Compression.GZIP)
        .layer(TarBuilder.tar().file("etc/b", "two\n").build(), Compression.ZSTD);
  }

  private static byte[] export(ImageSource s) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RootfsExporter.create(Compression.NONE, 1, null).exportTo(s.image(), out);
    return out.toByteArray();
  }

  private static Map<String, String> checksums(Path dir) throws Exception {
    Map<String, String> sums = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        sums.put(dir.relativize(p).toString(), Digest.sha256(Files.readAllBytes(p)).hex());
      }
    }
    return sums;
  }

  @Test
  void copyingWithTheSameCompressionKeepsEveryDigest() throws Exception {
    TestImage img = image("one\n");
    Path src = img.writeOciLayout(tmp.resolve("src"), "v1");
    Path dst = tmp.resolve("dst");
    try (ImageSource s = oci.open(src + ":v1", ReadOptions.defaults());
        ImageSink sink = oci.openSink(dst + ":copy", WriteOptions.builder().build())) {
      sink.write(s.image());
    }
    try (ImageSource a = oci.open(src + ":v1", ReadOptions.defaults());
        ImageSource b = oci.open(dst + ":copy", ReadOptions.defaults())) {
      assertEquals(a.image().manifestDigest(), b.image().manifestDigest());
      assertArrayEquals(export(a), export(b));
    }
  }

  @Test
  void writesIntoAnExistingLayoutAndMovesTheTag() throws Exception {
    Path layout = image("first\n").writeOciLayout(tmp.resolve("layout"), "keep");
    for (String content : List.of("second\n", "third\n")) {
      Path other = image(content).writeOciLayout(tmp.resolve("src-" + content.strip()), "x");
      try (ImageSource s = oci.open(other + ":x", ReadOptions.defaults());
          ImageSink sink =
              oci.openSink(
                  layout + ":moving",
                  WriteOptions.builder().compression(Compression.ZSTD).build())) {
        sink.write(s.image());
      }
    }
    JsonNode index = Json.parse(Files.readAllBytes(layout.resolve("index.json")), "index");
    assertEquals(2, index.get("manifests").size(), "the tag moved, it was not duplicated");
    try (ImageSource s = oci.open(layout + ":moving", ReadOptions.defaults())) {
      String text = new String(export(s), StandardCharsets.ISO_8859_1);
      assertTrue(text.contains("third"), "the tag points at the newest image");
      for (Layer l : s.image().layers()) {
        assertEquals(MediaTypes.OCI_LAYER_ZSTD, l.mediaType());
      }
    }
    try (ImageSource s = oci.open(layout + ":keep", ReadOptions.defaults())) {
      assertTrue(new String(export(s), StandardCharsets.ISO_8859_1).contains("first"));
    }
  }

  @Test
  void aFailedWriteLeavesTheLayoutAsItWas() throws Exception {
    Path layout = image("first\n").writeOciLayout(tmp.resolve("layout"), "keep");
    Map<String, String> before = checksums(layout);
    TestImage img = image("new\n");
    byte[] blob = img.tars().get(1);
    Image broken =
        Image.builder()
            .source("broken")
            .names(List.of())
            .config(img.configBytes(), "config")
            .addLayer(img.layers().get(0))
            .addLayer(
                new Layer(
                    1,
                    2,
                    MediaTypes.OCI_LAYER,
                    null,
                    blob.length,
                    Digest.sha256("something else".getBytes(StandardCharsets.UTF_8)),
                    () -> new ByteArrayInputStream(blob)))
            .build();
    try (ImageSink sink = oci.openSink(layout + ":new", WriteOptions.builder().build())) {
      assertThrows(InvalidImageException.class, () -> sink.write(broken));
    }
    assertEquals(before, checksums(layout), "blobs added before the failure are removed again");
  }

  @Test
  void ociArchiveRoundTrip() throws Exception {
    TestImage img = image("archived\n");
    Path src = img.writeOciLayout(tmp.resolve("src"), "v1");
    Path archive = tmp.resolve("img.tar");
    try (ImageSource s = oci.open(src + ":v1", ReadOptions.defaults());
        ImageSink sink = ociArchive.openSink(archive + ":v2", WriteOptions.builder().build())) {
      sink.write(s.image());
    }
    try (ImageSource a = oci.open(src + ":v1", ReadOptions.defaults());
        ImageSource b = ociArchive.open(archive + ":v2", ReadOptions.defaults())) {
      assertEquals(a.image().manifestDigest(), b.image().manifestDigest());
      assertArrayEquals(export(a), export(b));
    }
    ImageNotFoundException e =
        assertThrows(
            ImageNotFoundException.class,
            () -> ociArchive.open(archive + ":nope", ReadOptions.defaults()));
    assertTrue(e.getMessage().contains("oci-archive:" + archive + ":v2"), e.getMessage());
  }

  @Test
  void refusesToWriteIntoADirectoryThatIsNotALayout() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("stuff"));
    Files.writeString(dir.resolve("file"), "unrelated");
    TestImage img = image("x\n");
    try (ImageSource s =
            oci.open(img.writeOciLayout(tmp.resolve("src"), "v1") + ":v1", ReadOptions.defaults());
        ImageSink sink = oci.openSink(dir + ":t", WriteOptions.builder().build())) {
      InvalidImageException e =
          assertThrows(InvalidImageException.class, () -> sink.write(s.image()));
      assertTrue(e.getMessage().contains("not an OCI image layout"), e.getMessage());
    }
    assertEquals(List.of("file"), Files.list(dir).map(p -> p.getFileName().toString()).toList());
  }
}
