package dev.isula.golden.store;

import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.testing.OciLayoutWriter;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Deterministic test images for the store tests, and archives holding several of them. */
final class StoreImages {
  private StoreImages() {}

  /** A small layer: a directory {@code dir} with one file per content string. */
  static byte[] layer(String dir, String... contents) {
    TarBuilder t = TarBuilder.tar();
    t.dir(dir + "/");
    for (int i = 0; i < contents.length; i++) {
      t.file(dir + "/f" + i, contents[i]);
    }
    return t.build();
  }

  /** A layer with one file of {@code mib} MiB of pseudo-random (incompressible) bytes. */
  static byte[] randomLayer(String dir, long seed, int mib) {
    byte[] content = new byte[mib << 20];
    new Random(seed).nextBytes(content);
    TarBuilder t = TarBuilder.tar();
    t.dir(dir + "/");
    t.file(dir + "/data.bin", content, 0644);
    return t.build();
  }

  /**
   * An image of these layers (stored gzip'd in OCI forms); {@code label} makes its config unique.
   */
  static TestImage image(String label, byte[]... tars) {
    return image(label, Compression.GZIP, tars);
  }

  static TestImage image(String label, Compression c, byte[]... tars) {
    TestImage img = TestImage.image().env("IMAGE", label).cmd("/bin/sh", "-c", "echo " + label);
    for (byte[] t : tars) {
      img.layer(t, c);
    }
    return img;
  }

  /** The image id: {@code sha256:} and the config digest. */
  static String id(TestImage img) {
    return Digest.sha256(img.configBytes()).toString();
  }

  /**
   * A classic docker-archive holding several images ({@code <id>/layer.tar} once per distinct
   * layer, {@code <config>.json}, manifest.json), as {@code docker save a b} writes it.
   */
  static Path dockerArchive(Path file, List<TestImage> images, List<List<String>> tags)
      throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (TestImage img : images) {
      byte[] config = img.configBytes();
      files.put(Digest.sha256(config).hex() + ".json", config);
      for (byte[] t : img.tars()) {
        String id = Digest.sha256(t).hex();
        files.put(id + "/VERSION", "1.0".getBytes(StandardCharsets.UTF_8));
        files.put(id + "/layer.tar", t);
      }
    }
    files.put("manifest.json", TestImage.dockerManifest(images, tags, false));
    Files.createDirectories(file.toAbsolutePath().getParent());
    TestImage.writeTar(file, files);
    return file;
  }

  /** A docker-archive of one image. */
  static Path dockerArchive(Path file, TestImage image, String... tags) throws IOException {
    return dockerArchive(file, List.of(image), List.of(List.of(tags)));
  }

  /** An OCI layout directory whose index lists each image under its ref name (null: none). */
  static Path ociLayout(Path dir, List<TestImage> images, List<String> refs) throws IOException {
    return OciLayoutWriter.write(dir, entries(images, refs));
  }

  /** A tar of such a layout. */
  static Path ociArchive(Path file, List<TestImage> images, List<String> refs) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    TestImage.writeTar(file, OciLayoutWriter.files(entries(images, refs)));
    return file;
  }

  private static List<OciLayoutWriter.Entry> entries(List<TestImage> images, List<String> refs) {
    List<OciLayoutWriter.Entry> entries = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      entries.add(new OciLayoutWriter.Entry(images.get(i), refs.get(i), false));
    }
    return entries;
  }
}
