package dev.isula.format.oci;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.LayerBlobs;
import dev.isula.toolkit.image.ManifestBuilder;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.io.NamedOutputStream;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.WriteOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps of writing into an OCI image layout, shared by the {@code oci:} sink and the local
 * store: blobs go to temporary names, are synced and renamed into place (content addressed, so a
 * blob already there is kept); {@code index.json} is replaced by a rename.
 */
final class OciLayoutWrites {
  private OciLayoutWrites() {}

  /** What writing an image's blobs produced: its manifest, and the blob files that are new. */
  record Written(Digest manifest, long manifestSize, List<Path> added) {
    void discard() throws IOException {
      for (Path p : added) {
        Files.deleteIfExists(p);
      }
    }
  }

  interface Content {
    void writeTo(OutputStream out) throws IOException, IsulaException;
  }

  /** Creates the layout (oci-layout, blobs/sha256) if needed; refuses a non-empty other dir. */
  static List<Path> ensureLayout(Path dir) throws IOException, IsulaException {
    List<Path> added = new ArrayList<>();
    List<Path> createdDirs = new ArrayList<>(); // shallowest first
    for (Path d = dir.toAbsolutePath(); d != null && !Files.exists(d); d = d.getParent()) {
      createdDirs.add(0, d);
    }
    if (!Files.exists(dir)) {
      Files.createDirectories(dir);
    }
    Path layout = dir.resolve("oci-layout");
    if (!Files.exists(layout)) {
      try (var s = Files.list(dir)) {
        // lock files, and leftovers of a process killed while creating the layout, don't count
        if (s.map(p -> p.getFileName().toString())
            .anyMatch(
                n -> !n.startsWith(".isula-") && !(n.startsWith(".") && n.endsWith(".partial")))) {
          throw new InvalidImageException(
              dir + " is not empty and not an OCI image layout; refusing to write into it");
        }
      }
      replace(layout, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
      added.add(layout);
    }
    for (Path d : List.of(dir.resolve("blobs"), dir.resolve("blobs").resolve("sha256"))) {
      if (!Files.exists(d)) {
        createdDirs.add(d);
      }
    }
    Files.createDirectories(dir.resolve("blobs").resolve("sha256"));
    // what a failed write removes again, in this order: files, then directories deepest first
    for (int i = createdDirs.size() - 1; i >= 0; i--) {
      added.add(createdDirs.get(i).toAbsolutePath());
    }
    return added;
  }

  /** Removes what {@link #ensureLayout} added (directories only if they are empty). */
  static void undoLayout(List<Path> added) throws IOException {
    for (Path p : added) {
      try {
        Files.deleteIfExists(p);
      } catch (java.nio.file.DirectoryNotEmptyException e) {
        // something else was written there meanwhile: keep it
      }
    }
  }

  /** Writes layers, config and manifest of {@code image}; on failure removes what it added. */
  static Written writeBlobs(Path dir, Image image, WriteOptions options)
      throws IOException, IsulaException {
    List<Path> added = new ArrayList<>();
    List<LayerBlobs.Prepared> layers = new ArrayList<>();
    boolean ok = false;
    try {
      for (Layer layer : image.layers()) {
        options.log().accept("writing " + layer.describe());
        LayerBlobs.Prepared p = LayerBlobs.prepare(layer, options.compression(), options.threads());
        layers.add(p);
        writeBlob(dir, p.digest(), p.size(), p::copyTo, added);
      }
      byte[] config = image.configBytes();
      writeBlob(dir, Digest.sha256(config), config.length, out -> out.write(config), added);
      byte[] manifest = ManifestBuilder.forImage(image, layers);
      Digest md = Digest.sha256(manifest);
      writeBlob(dir, md, manifest.length, out -> out.write(manifest), added);
      ok = true;
      return new Written(md, manifest.length, added);
    } finally {
      for (LayerBlobs.Prepared p : layers) {
        p.close();
      }
      if (!ok) {
        for (Path p : added) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  static Path blobPath(Path dir, Digest digest) {
    return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  private static void writeBlob(
      Path dir, Digest digest, long size, Content content, List<Path> added)
      throws IOException, IsulaException {
    Path target = blobPath(dir, digest);
    if (Files.isRegularFile(target) && Files.size(target) == size) {
      return; // content-addressed: already there
    }
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), ".tmp-", ".partial");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
          OutputStream out =
              new java.io.BufferedOutputStream(
                  NamedOutputStream.of(Channels.newOutputStream(ch), tmp), 1 << 20)) {
        content.writeTo(out);
        out.flush();
        try {
          ch.force(true);
        } catch (IOException e) {
          throw NamedOutputStream.named(e, tmp);
        }
      }
      if (Files.size(tmp) != size) {
        throw new IOException(
            "wrote " + Files.size(tmp) + " bytes for " + digest + ", expected " + size);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      added.add(target);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The layout's index.json, or a new empty index. */
  static ObjectNode readIndex(Path dir) throws IOException, IsulaException {
    Path indexFile = dir.resolve("index.json");
    if (!Files.exists(indexFile)) {
      ObjectNode index = JsonNodeFactory.instance.objectNode();
      index.put("schemaVersion", 2);
      index.put("mediaType", MediaTypes.OCI_INDEX);
      index.putArray("manifests");
      return index;
    }
    try (InputStream in = Files.newInputStream(indexFile)) {
      ObjectNode index = Json.readObject(in, Json.MAX_MANIFEST_BYTES, dir + ": index.json");
      if (!index.has("manifests") || !index.get("manifests").isArray()) {
        index.putArray("manifests");
      }
      return index;
    }
  }

  static void writeIndex(Path dir, ObjectNode index) throws IOException {
    replace(dir.resolve("index.json"), Json.compact(index));
  }

  /** Replaces a small file atomically (write, sync, rename). */
  static void replace(Path file, byte[] content) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName() + ".", ".partial");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(content));
        ch.force(true);
      } catch (IOException e) {
        throw NamedOutputStream.named(e, tmp);
      }
      Files.setPosixFilePermissions(
          tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** An index entry for a manifest, named {@code ref} (or unnamed when null). */
  static ObjectNode entry(Digest manifest, long size, String ref) {
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    d.put("mediaType", MediaTypes.OCI_MANIFEST);
    d.put("digest", manifest.toString());
    d.put("size", size);
    if (ref != null) {
      d.putObject("annotations").put(OciLayoutReader.REF_NAME, ref);
    }
    return d;
  }
}
