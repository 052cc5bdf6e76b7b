package dev.isula.format.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UsageException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.blob.FileRange;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Descriptor;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ImageName;
import dev.isula.toolkit.image.ManifestResolver;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import dev.isula.toolkit.spi.WriteOptions;
import dev.isula.toolkit.store.ImageStore;
import dev.isula.toolkit.store.StoredImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The local image store as an OCI image layout: blobs shared and de-duplicated under {@code
 * blobs/sha256}, names as {@code org.opencontainers.image.ref.name} annotations of {@code
 * index.json} entries (one entry per name; an untagged image has one entry without a name), so any
 * OCI tool reads it ({@code skopeo inspect oci:ROOT:busybox:latest}).
 *
 * <p>Blobs are written before the index refers to them and the index is replaced by a rename, so a
 * writer killed at any point leaves the store readable; {@link #prune()} removes what it left. See
 * {@link StoreLocks} for how concurrent processes are kept apart.
 */
final class OciImageStore implements ImageStore {
  private static final Pattern ID = Pattern.compile("(sha256:)?[0-9a-f]{3,64}");

  private final Path root;
  private final StoreLocks locks;

  OciImageStore(Path root) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    Files.createDirectories(this.root);
    this.locks = StoreLocks.of(this.root);
  }

  @Override
  public Path root() {
    return root;
  }

  private String where() {
    return "store " + root;
  }

  /** index.json entries: manifest digest to names (in index order). */
  private Map<Digest, List<String>> entries(ObjectNode index) throws InvalidImageException {
    Map<Digest, List<String>> out = new LinkedHashMap<>();
    int i = 0;
    for (JsonNode m : index.get("manifests")) {
      Descriptor d = Descriptor.parse(m, where() + ": index.json manifests[" + i++ + "]");
      List<String> names = out.computeIfAbsent(d.digest(), k -> new ArrayList<>());
      String ref = d.annotations().get(OciLayoutReader.REF_NAME);
      if (ref != null) {
        names.add(ref);
      }
    }
    return out;
  }

  private ObjectNode readIndex() throws IOException, IsulaException {
    return OciLayoutWrites.readIndex(root);
  }

  private byte[] blob(Digest d, int cap, String what) throws IOException, IsulaException {
    Path p = OciLayoutWrites.blobPath(root, d);
    if (!Files.isRegularFile(p)) {
      throw new InvalidImageException(where() + ": missing blob " + d + " (" + what + ")");
    }
    try (InputStream in = Files.newInputStream(p)) {
      return Json.readCapped(in, cap, where() + ": " + what);
    }
  }

  private StoredImage describe(Digest manifestDigest, List<String> names)
      throws IOException, IsulaException {
    byte[] manifest = blob(manifestDigest, Json.MAX_MANIFEST_BYTES, "manifest " + manifestDigest);
    ObjectNode m = Json.parseObject(manifest, where() + ": manifest " + manifestDigest);
    Descriptor config = Descriptor.parse(m.get("config"), where() + ": manifest config");
    ObjectNode c =
        Json.parseObject(
            blob(config.digest(), Json.MAX_CONFIG_BYTES, "config"), where() + ": config");
    long size = manifest.length + config.size();
    JsonNode layers = m.get("layers");
    if (layers != null) {
      for (JsonNode l : layers) {
        size += l.path("size").asLong(0);
      }
    }
    String platform =
        Json.optText(c, "os")
            + "/"
            + Json.optText(c, "architecture")
            + (Json.optText(c, "variant") == null ? "" : "/" + Json.optText(c, "variant"));
    return new StoredImage(
        config.digest(),
        manifestDigest,
        names,
        Json.optText(c, "created") == null ? "" : Json.optText(c, "created"),
        platform,
        size);
  }

  @Override
  public List<StoredImage> list() throws IOException, IsulaException {
    // blobs are read after the index: hold off prune meanwhile
    try (StoreLocks.Held gc = locks.gcShared()) {
      List<StoredImage> out = new ArrayList<>();
      for (Map.Entry<Digest, List<String>> e : entries(readIndex()).entrySet()) {
        out.add(describe(e.getKey(), e.getValue()));
      }
      out.sort(Comparator.comparing(StoredImage::created).reversed());
      return out;
    }
  }

  @Override
  public StoredImage resolve(String nameOrId) throws IOException, IsulaException {
    try (StoreLocks.Held gc = locks.gcShared()) {
      return resolveUnlocked(nameOrId);
    }
  }

  /** A name first (as docker does), then an id or manifest digest prefix. */
  private StoredImage resolveUnlocked(String nameOrId) throws IOException, IsulaException {
    Map<Digest, List<String>> entries = entries(readIndex());
    if (ImageName.isValid(nameOrId)) {
      String wanted = ImageName.familiar(nameOrId);
      for (Map.Entry<Digest, List<String>> e : entries.entrySet()) {
        if (e.getValue().contains(wanted)) {
          return describe(e.getKey(), e.getValue());
        }
      }
    }
    if (ID.matcher(nameOrId).matches()) {
      String hex = nameOrId.startsWith("sha256:") ? nameOrId.substring(7) : nameOrId;
      List<StoredImage> matches = new ArrayList<>();
      for (Map.Entry<Digest, List<String>> e : entries.entrySet()) {
        StoredImage img = describe(e.getKey(), e.getValue());
        if (img.id().hex().startsWith(hex) || e.getKey().hex().startsWith(hex)) {
          matches.add(img);
        }
      }
      if (!matches.isEmpty() && matches.stream().map(StoredImage::id).distinct().count() == 1) {
        // one image id (the same config may be stored under several manifests): the newest
        return matches.get(matches.size() - 1);
      }
      if (matches.size() > 1) {
        List<String> candidates = new ArrayList<>();
        for (StoredImage m : matches) {
          candidates.add(
              m.id() + (m.names().isEmpty() ? "" : " (" + String.join(", ", m.names()) + ")"));
        }
        throw new ImageNotFoundException(
            "image id prefix '"
                + nameOrId
                + "' is ambiguous in "
                + where()
                + ": "
                + String.join(", ", candidates),
            candidates);
      }
    } else if (!ImageName.isValid(nameOrId)) {
      normalize(nameOrId); // throws the usage error for a malformed name
    }
    throw notFound(nameOrId, entries);
  }

  private ImageNotFoundException notFound(String nameOrId, Map<Digest, List<String>> entries) {
    List<String> names = new ArrayList<>();
    entries.values().forEach(names::addAll);
    // a bare reference is looked up here when no file has its name; if it looks like an archive
    // name, the user most likely meant a file
    String message =
        nameOrId.matches(".*\\.(tar|tgz|tar\\.gz|tar\\.zst|tar\\.xz)")
                && !Files.exists(Path.of(nameOrId))
            ? "no such file '" + nameOrId + "' (nor an image of that name in the local store)"
            : "no image '" + nameOrId + "' in the local store (" + root + ")";
    return new ImageNotFoundException(message, names);
  }

  /** The name as the store keeps it: docker's familiar form with a tag. */
  static String normalize(String name) throws UsageException {
    if (!ImageName.isValid(name)) {
      throw new UsageException(
          "invalid image name '"
              + name
              + "' (expected [HOST[:PORT]/]PATH[:TAG], lowercase, e.g. example.org/ns/app:1)");
    }
    return ImageName.familiar(name);
  }

  @Override
  public ImageSource open(String nameOrId, ReadOptions options) throws IOException, IsulaException {
    StoreLocks.Held gc = locks.gcShared();
    try {
      StoredImage img = resolveUnlocked(nameOrId);
      String source = "store:" + nameOrId;
      ManifestResolver resolver =
          new ManifestResolver(
              d -> {
                Path p = OciLayoutWrites.blobPath(root, d);
                if (!Files.isRegularFile(p)) {
                  throw new InvalidImageException(where() + ": missing blob " + d);
                }
                try {
                  return BlobSource.of(new FileRange(p, 0, Files.size(p)));
                } catch (IOException e) {
                  throw new InvalidImageException(where() + ": cannot read blob " + d + ": " + e);
                }
              },
              source);
      byte[] manifest = blob(img.manifestDigest(), Json.MAX_MANIFEST_BYTES, "manifest");
      Image image =
          resolver.resolve(
              Descriptor.of(MediaTypes.OCI_MANIFEST, img.manifestDigest(), manifest.length),
              options.platform(),
              img.names());
      return new ImageSource() {
        @Override
        public Image image() {
          return image;
        }

        @Override
        public void close() throws IOException {
          gc.close();
        }
      };
    } catch (IOException | IsulaException | RuntimeException e) {
      gc.close();
      throw e;
    }
  }

  @Override
  public StoredImage put(Image image, List<String> names, WriteOptions options)
      throws IOException, IsulaException {
    List<String> normalized = new ArrayList<>();
    for (String n : names) {
      normalized.add(normalize(n));
    }
    try (StoreLocks.Held gc = locks.gcShared()) {
      OciLayoutWrites.ensureLayout(root);
      OciLayoutWrites.Written w = OciLayoutWrites.writeBlobs(root, image, options);
      boolean committed = false;
      try (StoreLocks.Held idx = locks.indexExclusive()) {
        ObjectNode index = readIndex();
        ArrayNode kept = JsonNodeFactory.instance.arrayNode();
        boolean present = false;
        List<JsonNode> moved = new ArrayList<>();
        for (JsonNode m : index.get("manifests")) {
          String ref = m.path("annotations").path(OciLayoutReader.REF_NAME).asText(null);
          String digest = m.path("digest").asText();
          if (ref != null && normalized.contains(ref)) {
            moved.add(m); // the name moves to the new image
            continue;
          }
          if (ref == null && digest.equals(w.manifest().toString())) {
            present = true;
          }
          kept.add(m);
        }
        for (String n : normalized) {
          kept.add(OciLayoutWrites.entry(w.manifest(), w.manifestSize(), n));
        }
        keepAsUntagged(kept, moved);
        if (normalized.isEmpty() && !present && !hasEntry(kept, w.manifest())) {
          kept.add(OciLayoutWrites.entry(w.manifest(), w.manifestSize(), null));
        }
        index.set("manifests", dropUnnamedDuplicates(kept));
        OciLayoutWrites.writeIndex(root, index);
        committed = true;
      } finally {
        if (!committed) {
          w.discard();
        }
      }
      return resolveUnlocked(w.manifest().hex());
    }
  }

  private static boolean hasEntry(ArrayNode entries, Digest manifest) {
    for (JsonNode m : entries) {
      if (m.path("digest").asText().equals(manifest.toString())) {
        return true;
      }
    }
    return false;
  }

  /** An image that has a name needs no unnamed entry as well. */
  private static ArrayNode dropUnnamedDuplicates(ArrayNode entries) {
    Set<String> named = new HashSet<>();
    for (JsonNode m : entries) {
      if (m.path("annotations").has(OciLayoutReader.REF_NAME)) {
        named.add(m.path("digest").asText());
      }
    }
    ArrayNode out = JsonNodeFactory.instance.arrayNode();
    for (JsonNode m : entries) {
      boolean unnamed = !m.path("annotations").has(OciLayoutReader.REF_NAME);
      if (unnamed && named.contains(m.path("digest").asText())) {
        continue;
      }
      out.add(m);
    }
    return out;
  }

  @Override
  public StoredImage tag(String source, String target) throws IOException, IsulaException {
    String name = normalize(target);
    try (StoreLocks.Held gc = locks.gcShared();
        StoreLocks.Held idx = locks.indexExclusive()) {
      StoredImage img = resolveUnlocked(source);
      ObjectNode index = readIndex();
      ArrayNode kept = JsonNodeFactory.instance.arrayNode();
      List<JsonNode> moved = new ArrayList<>();
      long size = 0;
      for (JsonNode m : index.get("manifests")) {
        String ref = m.path("annotations").path(OciLayoutReader.REF_NAME).asText(null);
        if (name.equals(ref)) {
          moved.add(m);
          continue;
        }
        if (m.path("digest").asText().equals(img.manifestDigest().toString())) {
          size = m.path("size").asLong();
        }
        kept.add(m);
      }
      kept.add(OciLayoutWrites.entry(img.manifestDigest(), size, name));
      keepAsUntagged(kept, moved);
      index.set("manifests", dropUnnamedDuplicates(kept));
      OciLayoutWrites.writeIndex(root, index);
      return resolveUnlocked(name);
    }
  }

  /**
   * An image whose last name moved to another image stays, untagged (docker shows it as {@code
   * <none>}); prune removes it only when nothing refers to it.
   */
  private static void keepAsUntagged(ArrayNode kept, List<JsonNode> moved) {
    for (JsonNode m : moved) {
      Digest d = Digest.tryParse(m.path("digest").asText());
      if (d != null && !hasEntry(kept, d)) {
        kept.add(OciLayoutWrites.entry(d, m.path("size").asLong(), null));
      }
    }
  }

  @Override
  public List<String> remove(String nameOrId) throws IOException, IsulaException {
    try (StoreLocks.Held gc = locks.gcShared();
        StoreLocks.Held idx = locks.indexExclusive()) {
      StoredImage img = resolveUnlocked(nameOrId);
      String name = ImageName.isValid(nameOrId) ? ImageName.familiar(nameOrId) : null;
      boolean byName = name != null && img.names().contains(name);
      ObjectNode index = readIndex();
      // by id: every manifest of that image id (the same config may be stored more than once)
      Set<String> manifests = new HashSet<>();
      if (!byName) {
        for (Map.Entry<Digest, List<String>> e : entries(index).entrySet()) {
          if (describe(e.getKey(), e.getValue()).id().equals(img.id())) {
            manifests.add(e.getKey().toString());
          }
        }
      } else {
        manifests.add(img.manifestDigest().toString());
      }
      ArrayNode kept = JsonNodeFactory.instance.arrayNode();
      List<String> removed = new ArrayList<>();
      for (JsonNode m : index.get("manifests")) {
        String ref = m.path("annotations").path(OciLayoutReader.REF_NAME).asText(null);
        boolean same = manifests.contains(m.path("digest").asText());
        if (same && (!byName || name.equals(ref))) {
          if (ref != null) {
            removed.add(ref);
          }
          continue;
        }
        kept.add(m);
      }
      if (!hasEntry(kept, img.manifestDigest())) {
        removed.add(img.id().toString()); // no name is left: the image is gone
      }
      index.set("manifests", kept);
      OciLayoutWrites.writeIndex(root, index);
      return removed;
    }
  }

  @Override
  public PruneResult prune() throws IOException, IsulaException {
    try (StoreLocks.Held gc = locks.gcExclusive();
        StoreLocks.Held idx = locks.indexExclusive()) {
      Set<String> referenced = new HashSet<>();
      for (Digest manifest : entries(readIndex()).keySet()) {
        referenced.add(manifest.hex());
        byte[] bytes = blob(manifest, Json.MAX_MANIFEST_BYTES, "manifest");
        ObjectNode m = Json.parseObject(bytes, where() + ": manifest " + manifest);
        referenced.add(Descriptor.parse(m.get("config"), "config").digest().hex());
        for (JsonNode l : m.path("layers")) {
          referenced.add(Descriptor.parse(l, "layer").digest().hex());
        }
      }
      int blobs = 0;
      int leftovers = 0;
      long bytes = 0;
      Path dir = root.resolve("blobs").resolve("sha256");
      if (Files.isDirectory(dir)) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
          for (Path p : s) {
            String n = p.getFileName().toString();
            if (n.startsWith(".tmp-") && n.endsWith(".partial")) {
              Files.deleteIfExists(p);
              leftovers++;
            } else if (!referenced.contains(n)) {
              bytes += Files.size(p);
              Files.delete(p);
              blobs++;
            }
          }
        }
      }
      try (DirectoryStream<Path> s = Files.newDirectoryStream(root, ".*.partial")) {
        for (Path p : s) {
          Files.deleteIfExists(p);
          leftovers++;
        }
      }
      return new PruneResult(blobs, bytes, leftovers);
    }
  }

  @Override
  public byte[] manifest(StoredImage image) throws IOException, IsulaException {
    return blob(image.manifestDigest(), Json.MAX_MANIFEST_BYTES, "manifest");
  }

  @Override
  public byte[] config(StoredImage image) throws IOException, IsulaException {
    return blob(image.id(), Json.MAX_CONFIG_BYTES, "config");
  }
}
