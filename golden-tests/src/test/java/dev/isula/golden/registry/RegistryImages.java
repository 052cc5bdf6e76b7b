package dev.isula.golden.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.compress.Compression;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.testing.OciLayoutWriter;
import dev.isula.toolkit.testing.TarBuilder;
import dev.isula.toolkit.testing.TestImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Deterministic test images for the registry tests, and the checks made on what comes back. */
final class RegistryImages {
  private RegistryImages() {}

  /** Three layers (gzip, plain, zstd) with a whiteout, an opaque directory and a hardlink. */
  static TestImage sample(String flavour) {
    return TestImage.image()
        .env("FLAVOUR", flavour)
        .layer(
            TarBuilder.tar()
                .dir("etc")
                .file("etc/hostname", flavour + "\n")
                .dir("opt")
                .file("opt/old", "old")
                .file("etc/gone", "bye")
                .file("bin-hello", "#!/bin/sh\necho hi\n".getBytes(StandardCharsets.UTF_8), 0755)
                .hardlink("hello-link", "bin-hello")
                .build())
        .layer(
            TarBuilder.tar().whiteout("etc/gone").file("etc/motd", "motd " + flavour).build(),
            Compression.NONE)
        .layer(
            TarBuilder.tar().opaque("opt").file("opt/new", "new").symlink("l", "etc/motd").build(),
            Compression.ZSTD);
  }

  /** Two layers, gzip and plain: what Docker schema 2 manifests can carry. */
  static TestImage gzipOnly(String flavour) {
    return TestImage.image()
        .env("FLAVOUR", flavour)
        .layer(TarBuilder.tar().dir("etc").file("etc/hostname", flavour + "\n").build())
        .layer(TarBuilder.tar().file("etc/motd", "motd").build(), Compression.NONE);
  }

  /** A big layer of {@code megabytes} random (incompressible) bytes, then a small one. */
  static TestImage large(int megabytes) {
    byte[] data = new byte[megabytes << 20];
    new Random(megabytes).nextBytes(data);
    return TestImage.image()
        .layer(
            TarBuilder.tar().dir("data").file("data/random.bin", data, 0644).build(),
            Compression.NONE)
        .layer(TarBuilder.tar().file("data/small", "small").build());
  }

  /** An OCI layout with {@code image} tagged {@code tag}. */
  static Path layout(Path dir, TestImage image, String tag) throws IOException {
    return image.writeOciLayout(dir, tag);
  }

  /** An OCI layout whose tag names a multi-platform index of {@code images}. */
  static Path multiPlatformLayout(Path dir, List<TestImage> images, String tag) throws IOException {
    OciLayoutWriter.write(
        dir, images.stream().map(i -> new OciLayoutWriter.Entry(i, null, true)).toList());
    byte[] index = OciLayoutWriter.platformIndex(images);
    Files.write(dir.resolve("blobs/sha256").resolve(Digest.sha256(index).hex()), index);
    ObjectNode top = JsonNodeFactory.instance.objectNode();
    top.put("schemaVersion", 2);
    top.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = top.putArray("manifests");
    ObjectNode d = manifests.addObject();
    d.put("mediaType", MediaTypes.OCI_INDEX);
    d.put("digest", Digest.sha256(index).toString());
    d.put("size", index.length);
    d.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
    Files.write(dir.resolve("index.json"), Json.compact(top));
    return dir;
  }

  /** The digest of the manifest (or index) the layout's index.json names first. */
  static String layoutManifestDigest(Path layout) throws Exception {
    JsonNode index = Json.parse(Files.readAllBytes(layout.resolve("index.json")), "index.json");
    return index.get("manifests").get(0).get("digest").asText();
  }

  /** sha256 of the manifest the registry serves for {@code ref} (skopeo inspect --raw). */
  static String registryManifestDigest(String ref, String... skopeoFlags) throws IOException {
    List<String> cmd = new java.util.ArrayList<>(List.of("skopeo", "inspect", "--raw"));
    cmd.addAll(List.of(skopeoFlags));
    cmd.add(ref);
    Exec.Result r = Exec.run(cmd);
    assertEquals(0, r.exit(), r::toString);
    return Digest.sha256(r.stdoutBytes()).toString();
  }

  /** The manifest the registry serves for {@code ref}, parsed. */
  static JsonNode registryManifest(String ref, String... skopeoFlags) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("skopeo", "inspect", "--raw"));
    cmd.addAll(List.of(skopeoFlags));
    cmd.add(ref);
    Exec.Result r = Exec.run(cmd);
    assertEquals(0, r.exit(), r::toString);
    return Json.parse(r.stdoutBytes(), ref);
  }

  /** Our export of {@code ref} to a file in {@code dir}, as bytes. */
  static byte[] export(Path dir, String ref, String... flags) throws IOException {
    Path out = Files.createTempFile(dir, "export-", ".tar");
    List<String> args = new java.util.ArrayList<>(List.of("export", "-q"));
    args.addAll(List.of(flags));
    args.add(ref);
    args.add(out.toString());
    Isula.run(args.toArray(String[]::new)).ok();
    byte[] b = Files.readAllBytes(out);
    Files.delete(out);
    return b;
  }
}
