package dev.isula.format.containersstorage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.format.containersstorage.Records.ImageRecord;
import dev.isula.format.containersstorage.Records.LayerRecord;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One graph root with one driver, read-only. Two layouts of the same family are read:
 *
 * <ul>
 *   <li>containers/storage (podman, buildah, skopeo, CRI-O, isula-build): {@code
 *       DRIVER-images/images.json} and {@code DRIVER-layers/layers.json} list everything, {@code
 *       DRIVER-layers/ID.tar-split.gz} per layer, big-data files under {@code DRIVER-images/ID/},
 *       lock files {@code storage.lock}, {@code DRIVER-layers/layers.lock}, {@code
 *       DRIVER-images/images.lock}.
 *   <li>iSulad ({@code /var/lib/isulad/storage}): one {@code DRIVER-images/ID/images.json} per
 *       image, one {@code DRIVER-layers/ID/layer.json} and {@code DRIVER-layers/ID/ID.tar-split.gz}
 *       per layer, the same JSON field names and big-data file names; no lock files.
 * </ul>
 *
 * The layer contents live under {@code GRAPHROOT/DRIVER}: {@code dir/ID} (vfs: a full snapshot) or
 * {@code ID/diff} (overlay, overlay2: the layer's own changes, whiteouts as 0/0 character devices).
 */
final class Store {
  /** How layer contents are kept. */
  enum Kind {
    VFS,
    OVERLAY
  }

  /** Which program's layout. */
  enum Flavour {
    CONTAINERS_STORAGE,
    ISULAD
  }

  static final List<String> DRIVERS = List.of("overlay", "overlay2", "vfs");

  private static final int MAX_METADATA_BYTES = 256 << 20;

  final String driver;
  final Path graphRoot;
  final Path runRoot;
  final Kind kind;
  final Flavour flavour;
  private final Path images;
  private final Path layers;
  private final Path home;

  private Store(String driver, Path graphRoot, Path runRoot, Flavour flavour) {
    this.driver = driver;
    this.graphRoot = graphRoot;
    this.runRoot = runRoot;
    this.kind = driver.equals("vfs") ? Kind.VFS : Kind.OVERLAY;
    this.flavour = flavour;
    this.images = graphRoot.resolve(driver + "-images");
    this.layers = graphRoot.resolve(driver + "-layers");
    this.home = graphRoot.resolve(driver);
  }

  /**
   * The store a reference names, its missing parts filled in from the configuration.
   *
   * @throws ImageNotFoundException if there is no store there
   * @throws UnsupportedFormatException if the driver is not one this reader knows
   */
  static Store locate(StoreReference ref) throws IsulaException {
    StorageConf.Location conf =
        ref.graphRoot() != null && ref.driver() != null ? null : StorageConf.resolve();
    String graph = ref.graphRoot() != null ? ref.graphRoot() : conf.graphRoot();
    String run = ref.runRoot() != null ? ref.runRoot() : conf == null ? null : conf.runRoot();
    String driver = ref.driver() != null ? ref.driver() : conf == null ? null : conf.driver();
    Path root = Path.of(graph);
    String from =
        conf == null || ref.graphRoot() != null
            ? ""
            : " (the default store" + (conf.from() == null ? "" : ", from " + conf.from()) + ")";
    if (!Files.isDirectory(root)) {
      throw new ImageNotFoundException(
          "containers-storage: no store at " + root + from + ": no such directory", List.of());
    }
    if (driver == null) {
      driver = detectDriver(root, from);
    } else if (!DRIVERS.contains(driver)) {
      throw new UnsupportedFormatException(
          "containers-storage:["
              + driver
              + "@"
              + root
              + "]: unsupported storage driver '"
              + driver
              + "' (this reader knows "
              + String.join(", ", DRIVERS)
              + ")");
    }
    Path imagesDir = root.resolve(driver + "-images");
    Path layersDir = root.resolve(driver + "-layers");
    if (!Files.isDirectory(imagesDir) && !Files.isDirectory(layersDir)) {
      throw new ImageNotFoundException(
          "containers-storage:["
              + driver
              + "@"
              + root
              + "]: no "
              + driver
              + " store there"
              + from
              + " (no "
              + imagesDir.getFileName()
              + " directory)",
          List.of());
    }
    Flavour flavour =
        Files.exists(imagesDir.resolve("images.json"))
                || Files.exists(imagesDir.resolve("images.lock"))
                || Files.exists(layersDir.resolve("layers.json"))
                || Files.exists(layersDir.resolve("layers.lock"))
            ? Flavour.CONTAINERS_STORAGE
            : Flavour.ISULAD;
    return new Store(driver, root, run == null ? null : Path.of(run), flavour);
  }

  private static String detectDriver(Path root, String from) throws IsulaException {
    List<String> found = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(root, "*-images")) {
      for (Path p : s) {
        String name = p.getFileName().toString();
        String d = name.substring(0, name.length() - "-images".length());
        if (DRIVERS.contains(d)) {
          found.add(d);
        } else {
          unknown.add(d);
        }
      }
    } catch (IOException e) {
      throw new InvalidImageException("containers-storage: cannot read " + root + ": " + e, e);
    }
    found.sort(null);
    if (found.size() == 1) {
      return found.get(0);
    }
    if (found.isEmpty() && !unknown.isEmpty()) {
      throw new UnsupportedFormatException(
          "containers-storage: the store at "
              + root
              + " uses the driver '"
              + unknown.get(0)
              + "', which this reader does not know (it knows "
              + String.join(", ", DRIVERS)
              + ")");
    }
    if (found.isEmpty()) {
      throw new ImageNotFoundException(
          "containers-storage: no store at " + root + from + " (no DRIVER-images directory)",
          List.of());
    }
    throw new ImageNotFoundException(
        "containers-storage: "
            + root
            + " holds stores of several drivers ("
            + String.join(", ", found)
            + "); name one: containers-storage:["
            + found.get(0)
            + "@"
            + root
            + "]IMAGE",
        found);
  }

  /** {@code [DRIVER@GRAPHROOT]}, for messages. */
  String label() {
    return "[" + driver + "@" + graphRoot + "]";
  }

  /** The lock files a reader takes, in the order containers/storage takes them. */
  List<Path> lockFiles() {
    return List.of(
        graphRoot.resolve("storage.lock"),
        layers.resolve("layers.lock"),
        images.resolve("images.lock"));
  }

  /** Everything the store lists, read at one moment. */
  record Snapshot(List<ImageRecord> images, Map<String, LayerRecord> layers) {}

  /** Reads the image and layer lists; call it with the read locks held. */
  Snapshot snapshot() throws IsulaException, IOException {
    List<ImageRecord> imageList = new ArrayList<>();
    Map<String, LayerRecord> layerMap = new LinkedHashMap<>();
    if (flavour == Flavour.CONTAINERS_STORAGE) {
      for (JsonNode n : readList(images.resolve("images.json"))) {
        imageList.add(ImageRecord.parse(n, images.resolve("images.json").toString()));
      }
      for (JsonNode n : readList(layers.resolve("layers.json"))) {
        LayerRecord l = LayerRecord.parse(n, layers.resolve("layers.json").toString());
        layerMap.put(l.id(), l);
      }
    } else {
      for (Path dir : subdirectories(images)) {
        Path f = dir.resolve("images.json");
        if (Files.isRegularFile(f)) {
          imageList.add(ImageRecord.parse(readJson(f), f.toString()));
        }
      }
      for (Path dir : subdirectories(layers)) {
        Path f = dir.resolve("layer.json");
        if (Files.isRegularFile(f)) {
          LayerRecord l = LayerRecord.parse(readJson(f), f.toString());
          layerMap.put(l.id(), l);
        }
      }
    }
    return new Snapshot(List.copyOf(imageList), Collections.unmodifiableMap(layerMap));
  }

  private static List<Path> subdirectories(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    TreeSet<String> names = new TreeSet<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      for (Path p : s) {
        if (Files.isDirectory(p)) {
          names.add(p.getFileName().toString());
        }
      }
    }
    names.forEach(n -> out.add(dir.resolve(n)));
    return out;
  }

  private static List<JsonNode> readList(Path file) throws IsulaException, IOException {
    if (!Files.exists(file)) {
      return List.of(); // a store nothing was written to yet
    }
    JsonNode doc = readJson(file);
    if (!doc.isArray()) {
      throw new InvalidImageException(file + ": not a JSON list");
    }
    List<JsonNode> out = new ArrayList<>();
    doc.forEach(out::add);
    return out;
  }

  private static JsonNode readJson(Path file) throws IsulaException, IOException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = Json.readCapped(in, MAX_METADATA_BYTES, file.toString());
    }
    return Json.parse(bytes, file.toString());
  }

  /** The directory with an image's big-data files. */
  Path imageDir(String imageId) {
    return images.resolve(imageId);
  }

  /**
   * The file holding an image's big-data item {@code key}: the key itself when it is made of {@code
   * [.0-9a-z]} only, else {@code =} and its standard base64 (containers/storage's {@code
   * makeBigDataBaseName}, the same in iSulad's image store). Some iSulad releases got the test the
   * wrong way round, so for iSulad the other spelling is tried when the first is missing.
   *
   * @throws NoSuchFileException if neither exists
   */
  Path bigDataFile(String imageId, String key) throws NoSuchFileException {
    Path dir = imageDir(imageId);
    String encoded = "=" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    String plain = key;
    String first = key.matches("[.0-9a-z]*") && !key.isEmpty() ? plain : encoded;
    Path p = dir.resolve(first);
    if (Files.isRegularFile(p)) {
      return p;
    }
    if (flavour == Flavour.ISULAD) {
      Path other = dir.resolve(first.equals(plain) ? encoded : plain);
      if (Files.isRegularFile(other)) {
        return other;
      }
    }
    throw new NoSuchFileException(p.toString());
  }

  /** Where the layer's tar-split file is (it may not exist). */
  Path tarSplit(String layerId) {
    return flavour == Flavour.ISULAD
        ? layers.resolve(layerId).resolve(layerId + ".tar-split.gz")
        : layers.resolve(layerId + ".tar-split.gz");
  }

  /** The layer's directory: a vfs snapshot or an overlay {@code diff} directory. */
  Path layerDir(String layerId) {
    return kind == Kind.VFS
        ? home.resolve("dir").resolve(layerId)
        : home.resolve(layerId).resolve("diff");
  }
}
