package dev.isula.format.dockerarchive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.export.RootfsExporter;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.spi.ImageSink;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.tar.EntryType;
import dev.isula.toolkit.tar.TarEntry;
import dev.isula.toolkit.tar.TarWriter;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerArchiveFormatTest {
  @TempDir Path tmp;

  private final DockerArchiveFormat format = new DockerArchiveFormat();

  private static TestImage twoLayers() {
    return TestImage.image()
        .layer(TarBuilder.tar().dir("etc").file("etc/a", "one\n").build(), Compression.NONE)
        .layer(TarBuilder.tar().file("etc/b", "two\n").build(), Compression.NONE);
  }

  private byte[] export(String reference) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ImageSource s = format.open(reference, ReadOptions.defaults())) {
      RootfsExporter.create(Compression.NONE, 1, null).exportTo(s.image(), out);
    }
    return out.toByteArray();
  }

  /** Docker up to 24 de-duplicates layers: a layer.tar may be a symlink to another one. */
  @Test
  void readsLayerPathsThatAreSymlinksInsideTheArchive() throws Exception {
    byte[] layer = TarBuilder.tar().dir("etc").file("etc/a", "same content\n").build();
    TestImage img = TestImage.image().layer(layer, Compression.NONE).layer(layer, Compression.NONE);
    String hex = Digest.sha256(layer).hex();
    byte[] config = img.configBytes();
    String configName = Digest.sha256(config).hex() + ".json";
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(bytes);
    w.write(dir("first"), new byte[0]);
    w.write(file("first/layer.tar", layer.length), layer);
    w.write(dir("second"), new byte[0]);
    w.write(
        TarEntry.builder()
            .name("second/layer.tar")
            .type(EntryType.SYMLINK)
            .linkName("../first/layer.tar")
            .build(),
        new byte[0]);
    w.write(file(configName, config.length), config);
    byte[] manifest =
        ("[{\"Config\":\""
                + configName
                + "\",\"RepoTags\":[\"dedup:1\"],\"Layers\":[\"first/layer.tar\",\"second/layer.tar\"]}]")
            .getBytes(StandardCharsets.UTF_8);
    w.write(file("manifest.json", manifest.length), manifest);
    w.finish();
    Path archive = Files.write(tmp.resolve("dedup.tar"), bytes.toByteArray());

    try (ImageSource s = format.open(archive.toString(), ReadOptions.defaults())) {
      Image image = s.image();
      assertEquals(List.of("dedup:1"), image.names());
      assertEquals(2, image.layers().size());
      assertEquals(Digest.parse("sha256:" + hex), image.layers().get(1).diffId());
    }
    assertTrue(export(archive.toString()).length > 0);
  }

  @Test
  void readsAGzipCompressedArchive() throws Exception {
    TestImage img = twoLayers();
    Path plain = img.writeDockerArchive(tmp.resolve("plain.tar"), "x:1");
    Path gz = tmp.resolve("x.tar.gz");
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
      Files.copy(plain, o);
    }
    assertArrayEquals(export(plain.toString()), export(gz.toString()));
  }

  @Test
  void docker25BlobNamesAreVerified() throws Exception {
    TestImage img = twoLayers();
    Path archive = img.writeDocker25Archive(tmp.resolve("d25.tar"), "d25:1");
    byte[] good = export(archive.toString());
    // rewrite the archive with the first layer's bytes changed but its blob name kept
    Map<String, byte[]> files = new LinkedHashMap<>();
    String hex = Digest.sha256(img.tars().get(0)).hex();
    byte[] tampered = img.tars().get(0).clone();
    tampered[1024] ^= 1; // first byte of etc/a's content: the tar stays well-formed
    files.put("blobs/sha256/" + Digest.sha256(img.configBytes()).hex(), img.configBytes());
    files.put("blobs/sha256/" + hex, tampered);
    files.put("blobs/sha256/" + Digest.sha256(img.tars().get(1)).hex(), img.tars().get(1));
    files.put(
        "manifest.json", TestImage.dockerManifest(List.of(img), List.of(List.of("d25:1")), true));
    Path bad = tmp.resolve("d25-bad.tar");
    TestImage.writeTar(bad, files);
    assertTrue(good.length > 0);
    DigestMismatchException e =
        assertThrows(DigestMismatchException.class, () -> export(bad.toString()));
    assertTrue(e.getMessage().contains("layer 1/2"), e.getMessage());
  }

  @Test
  void writesWhatItReadsWithRepoTagsAndRepositories() throws Exception {
    TestImage img = twoLayers();
    Path out = tmp.resolve("written.tar");
    byte[] expected;
    try (ImageSource s =
            format.open(
                img.writeDockerArchive(tmp.resolve("src.tar"), "a:1").toString(),
                ReadOptions.defaults());
        ImageSink sink =
            format.openSink(out + ":example.org/ns/app:2", WriteOptions.builder().build())) {
      expected = export(tmp.resolve("src.tar").toString());
      sink.write(s.image());
    }
    assertArrayEquals(expected, export(out + ":example.org/ns/app:2"));
    try (ImageSource s = format.open(out.toString(), ReadOptions.defaults())) {
      assertEquals(List.of("example.org/ns/app:2"), s.image().names());
    }
    String listing = new String(Files.readAllBytes(out), StandardCharsets.ISO_8859_1);
    assertTrue(listing.contains("repositories"), "classic loaders want a repositories file");
  }

  @Test
  void aFailedWriteLeavesTheOldFile() throws Exception {
    Path out = Files.writeString(tmp.resolve("keep.tar"), "old content");
    TestImage img = twoLayers();
    // a layer whose DiffID does not match its bytes fails while being prepared
    byte[] blob = img.tars().get(0);
    Image broken =
        Image.builder()
            .source("broken")
            .names(List.of())
            .config(img.configBytes(), "config")
            .addLayer(
                new dev.isula.toolkit.image.Layer(
                    0,
                    2,
                    "",
                    null,
                    blob.length,
                    Digest.sha256("not it".getBytes(StandardCharsets.UTF_8)),
                    () -> new java.io.ByteArrayInputStream(blob)))
            .addLayer(img.layers().get(1))
            .build();
    try (ImageSink sink = format.openSink(out.toString(), WriteOptions.builder().build())) {
      assertThrows(InvalidImageException.class, () -> sink.write(broken));
    }
    assertEquals("old content", Files.readString(out));
    try (var files = Files.list(tmp)) {
      assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".partial")));
    }
  }

  private static TarEntry dir(String name) {
    return TarEntry.builder().name(name).type(EntryType.DIRECTORY).mode(0755).build();
  }

  private static TarEntry file(String name, long size) {
    return TarEntry.builder().name(name).size(size).build();
  }
}
