package dev.isula.format.containersstorage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.format.containersstorage.Records.ImageRecord;
import dev.isula.format.containersstorage.Records.LayerRecord;
import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.blob.TempBlob;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.Layer;
import dev.isula.toolkit.image.MediaTypes;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSource;
import dev.isula.toolkit.spi.ReadOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An image opened in a store: the store's read locks ({@code layers.lock} and {@code images.lock})
 * are held from before its metadata is read until {@link #close()}, so a concurrent {@code podman
 * rmi} waits for the export to finish instead of pulling layers from under it. {@code storage.lock}
 * is held only while the lists are read: containers/storage takes it exclusively in every command,
 * so holding it longer would stall all of podman.
 */
final class StoreImageSource implements ImageSource {
  private final Image image;
  private final List<SharedLocks.Lock> locks;
  private final List<TempBlob> temps;

  private StoreImageSource(Image image, List<SharedLocks.Lock> locks, List<TempBlob> temps) {
    this.image = image;
    this.locks = locks;
    this.temps = temps;
  }

  /**
   * Opens the image {@code ref} names.
   *
   * @throws IsulaException if the store or image is missing, or the image is inconsistent
   */
  static ImageSource open(StoreReference ref, ReadOptions options)
      throws IsulaException, IOException {
    Store store = Store.locate(ref);
    String label = "containers-storage:" + store.label();
    List<SharedLocks.Lock> locks = new ArrayList<>();
    List<TempBlob> temps = new ArrayList<>();
    boolean ok = false;
    try {
      for (Path f : store.lockFiles()) {
        locks.add(SharedLocks.acquire(f));
      }
      Store.Snapshot snap = store.snapshot();
      locks.remove(0).close(); // storage.lock
      ImageRecord rec = new ImageLookup(snap.images(), label).find(ref.image());
      Image image = build(store, snap, rec, label + ref.image(), options, temps);
      ok = true;
      return new StoreImageSource(image, locks, temps);
    } finally {
      if (!ok) {
        closeAll(locks, temps);
      }
    }
  }

  private static Image build(
      Store store,
      Store.Snapshot snap,
      ImageRecord rec,
      String source,
      ReadOptions options,
      List<TempBlob> temps)
      throws IsulaException, IOException {
    String where = source + " (image " + ImageLookup.shortId(rec.id()) + ")";
    byte[] manifest = null;
    ObjectNode manifestDoc = null;
    Digest configDigest;
    if (hasBigData(store, rec, "manifest")) {
      manifest = bigData(store, rec, "manifest", Json.MAX_MANIFEST_BYTES, where);
      manifestDoc = Json.parseObject(manifest, where + ": manifest");
      if (manifestDoc.has("manifests")) {
        throw new UnsupportedFormatException(
            where + ": its manifest is a list; name one of the images it lists by id");
      }
      if (manifestDoc.path("schemaVersion").asInt() == 1) {
        throw new UnsupportedFormatException(
            where + ": Docker schema 1 manifests are not supported");
      }
      JsonNode cfg = manifestDoc.get("config");
      try {
        configDigest = Digest.parse(Json.text(cfg == null ? manifestDoc : cfg, "digest", where));
      } catch (IllegalArgumentException e) {
        throw new InvalidImageException(where + ": manifest config: " + e.getMessage());
      }
    } else if (rec.id().matches("[0-9a-f]{64}")) {
      configDigest = Digest.of("sha256", rec.id());
    } else {
      throw new InvalidImageException(where + ": no manifest, and its id is not a config digest");
    }
    byte[] config = bigData(store, rec, configDigest.toString(), Json.MAX_CONFIG_BYTES, where);
    Digest actual =
        Digest.fromHash(configDigest.algorithm(), configDigest.newHasher().digest(config));
    if (!actual.equals(configDigest)) {
      throw new DigestMismatchException(where + ": config", configDigest, actual);
    }
    ObjectNode configDoc = Json.parseObject(config, where + ": config");
    List<Digest> diffIds = Image.diffIds(configDoc, where);
    List<LayerRecord> chain = chain(snap, rec, where);
    if (chain.size() != diffIds.size()) {
      throw new InvalidImageException(
          where
              + ": the store holds "
              + chain.size()
              + " layers for it, its config lists "
              + diffIds.size());
    }
    List<Layer> layers = new ArrayList<>();
    List<Digest> newIds = new ArrayList<>(diffIds);
    int n = chain.size();
    for (int i = 0; i < n; i++) {
      LayerRecord l = chain.get(i);
      String lw = where + ": layer " + ImageLookup.shortId(l.id());
      if (l.incomplete()) {
        throw new InvalidImageException(
            lw + ": incomplete (still being written, or left so by a crash)");
      }
      if (l.diffDigest() != null && !l.diffDigest().equals(diffIds.get(i))) {
        throw new InvalidImageException(
            lw
                + ": the store records DiffID "
                + l.diffDigest()
                + " but the image's config lists "
                + diffIds.get(i));
      }
      Path tarSplit = store.tarSplit(l.id());
      Path dir = store.layerDir(l.id());
      String why = null;
      TarSplitStream.Check check = null;
      if (l.diffDigest() == null) {
        why = "has no recorded DiffID";
      } else if (!Files.isRegularFile(tarSplit)) {
        why = "has no tar-split file (" + tarSplit + ")";
      } else if (!Files.isDirectory(dir)) {
        throw new InvalidImageException(
            lw + ": its directory " + dir + " is missing (layer removed or damaged?)");
      } else {
        check = check(tarSplit, dir, lw);
        why = check.unusable();
      }
      if (why == null) {
        Digest d = l.diffDigest();
        long size = l.diffSize();
        Map<String, Path> substitutes = check.substitutes();
        BlobSource blob = () -> new TarSplitStream(tarSplit, dir, d, size, lw, substitutes);
        layers.add(new Layer(i, n, MediaTypes.OCI_LAYER, d, size, d, blob));
        continue;
      }
      Path parentDir =
          store.kind == Store.Kind.VFS && i > 0 ? store.layerDir(chain.get(i - 1).id()) : null;
      Map<String, Long> checksums =
          Files.isRegularFile(tarSplit) ? TarSplitStream.fileChecksums(tarSplit) : Map.of();
      TempBlob t = LayerDirTar.build(store.kind, dir, parentDir, l, checksums, lw, options.log());
      temps.add(t);
      boolean same = t.diffId().equals(diffIds.get(i));
      options
          .log()
          .accept(
              "warning: "
                  + lw
                  + " "
                  + why
                  + "; its tar is made from "
                  + dir
                  + " instead"
                  + (checksums.isEmpty() ? "" : " (each file checked against its recorded CRC-64)")
                  + ", so its DiffID cannot be checked against the recorded "
                  + diffIds.get(i)
                  + (same ? "" : "; the image's config gets the new DiffID " + t.diffId()));
      layers.add(
          new Layer(i, n, MediaTypes.OCI_LAYER, t.diffId(), t.size(), t.diffId(), t.source()));
      newIds.set(i, t.diffId());
    }
    Image.Builder b = Image.builder().source(source).names(rec.names());
    if (!newIds.equals(diffIds)) {
      ArrayNode ids = ((ObjectNode) configDoc.get("rootfs")).putArray("diff_ids");
      newIds.forEach(d -> ids.add(d.toString()));
      b.config(Json.compact(configDoc), where + ": config");
    } else {
      b.config(config, where + ": config");
      if (manifestDoc != null && describesLayers(manifestDoc, configDigest, layers)) {
        String mt = Json.optText(manifestDoc, "mediaType");
        b.manifest(manifest, mt == null ? MediaTypes.OCI_MANIFEST : mt);
      }
    }
    layers.forEach(b::addLayer);
    return b.build();
  }

  private static TarSplitStream.Check check(Path tarSplit, Path dir, String where)
      throws IOException {
    try {
      return TarSplitStream.check(tarSplit, dir);
    } catch (IOException e) {
      throw new IOException(where + ": cannot read " + tarSplit + ": " + e.getMessage(), e);
    }
  }

  /** The image's layers, bottom first, from its top layer down the parent links. */
  private static List<LayerRecord> chain(Store.Snapshot snap, ImageRecord rec, String where)
      throws InvalidImageException {
    List<LayerRecord> chain = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    String id = rec.layer();
    while (id != null) {
      LayerRecord l = snap.layers().get(id);
      if (l == null) {
        throw new InvalidImageException(
            where
                + ": layer "
                + ImageLookup.shortId(id)
                + " is not in the store (removed while the image still lists it?)");
      }
      if (!seen.add(id)) {
        throw new InvalidImageException(where + ": layer " + id + " is its own ancestor");
      }
      chain.add(l);
      id = l.parent();
    }
    Collections.reverse(chain);
    return chain;
  }

  /** True if the stored manifest lists exactly these uncompressed layers and this config. */
  private static boolean describesLayers(ObjectNode m, Digest config, List<Layer> layers) {
    String type = Json.optText(m, "mediaType");
    if (type != null && !MediaTypes.isManifest(type)) {
      return false;
    }
    if (!config.toString().equals(m.path("config").path("digest").asText())) {
      return false;
    }
    JsonNode ls = m.get("layers");
    if (ls == null || !ls.isArray() || ls.size() != layers.size()) {
      return false;
    }
    for (int i = 0; i < layers.size(); i++) {
      JsonNode d = ls.get(i);
      String lt = d.path("mediaType").asText();
      if (!(lt.equals(MediaTypes.OCI_LAYER) || lt.equals(MediaTypes.DOCKER_LAYER))
          || !layers.get(i).diffId().toString().equals(d.path("digest").asText())
          || layers.get(i).size() != d.path("size").asLong(-2)) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasBigData(Store store, ImageRecord rec, String key) {
    if (rec.bigDataNames().contains(key)) {
      return true;
    }
    try {
      store.bigDataFile(rec.id(), key);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  private static byte[] bigData(Store store, ImageRecord rec, String key, int cap, String where)
      throws IsulaException, IOException {
    Path file;
    try {
      file = store.bigDataFile(rec.id(), key);
    } catch (NoSuchFileException e) {
      throw new InvalidImageException(
          where + ": its " + key + " item is missing (" + e.getFile() + ")");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return Json.readCapped(in, cap, where + ": " + key);
    }
  }

  @Override
  public Image image() {
    return image;
  }

  @Override
  public void close() throws IOException {
    closeAll(locks, temps);
  }

  private static void closeAll(List<SharedLocks.Lock> locks, List<TempBlob> temps)
      throws IOException {
    IOException first = null;
    for (SharedLocks.Lock l : locks) {
      try {
        l.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    locks.clear();
    for (TempBlob t : temps) {
      try {
        t.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    temps.clear();
    if (first != null) {
      throw first;
    }
  }
}
