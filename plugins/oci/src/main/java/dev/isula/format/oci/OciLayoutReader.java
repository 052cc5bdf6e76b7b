package dev.isula.format.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.archive.FileTree;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.Descriptor;
import dev.isula.toolkit.image.Image;
import dev.isula.toolkit.image.ManifestResolver;
import dev.isula.toolkit.image.Platform;
import dev.isula.toolkit.json.Json;
import dev.isula.toolkit.spi.ImageSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads an OCI image layout (a directory or the tree inside an oci-archive): {@code oci-layout},
 * {@code index.json}, and content-addressed {@code blobs/ALG/HEX}. Images are selected by their
 * {@code org.opencontainers.image.ref.name} annotation (or containerd's {@code
 * io.containerd.image.name}), by position ({@code @N}), or implicitly when there is only one.
 */
final class OciLayoutReader {
  static final String REF_NAME = "org.opencontainers.image.ref.name";
  static final String CONTAINERD_NAME = "io.containerd.image.name";

  private OciLayoutReader() {}

  static ImageSource open(
      FileTree tree, String transport, String path, String selector, Platform platform)
      throws IOException, IsulaException {
    try {
      Image image = read(tree, transport, path, selector, platform);
      return new ImageSource() {
        @Override
        public Image image() {
          return image;
        }

        @Override
        public void close() throws IOException {
          tree.close();
        }
      };
    } catch (IOException | IsulaException | RuntimeException e) {
      tree.close();
      throw e;
    }
  }

  private static Image read(
      FileTree tree, String transport, String path, String selector, Platform platform)
      throws IOException, IsulaException {
    String where = transport + ":" + path;
    String imageName = selector == null ? where : where + ":" + selector;
    if (!tree.isFile("oci-layout")) {
      throw new InvalidImageException(where + ": not an OCI image layout (no oci-layout file)");
    }
    ObjectNode layout;
    try (InputStream in = tree.open("oci-layout")) {
      layout = Json.readObject(in, Json.MAX_MANIFEST_BYTES, where + ": oci-layout");
    }
    String version = Json.optText(layout, "imageLayoutVersion");
    if (version == null || !version.startsWith("1.")) {
      throw new InvalidImageException(
          where + ": unsupported imageLayoutVersion '" + version + "' in oci-layout");
    }
    ObjectNode index;
    byte[] indexBytes;
    try (InputStream in = tree.open("index.json")) {
      indexBytes = Json.readCapped(in, Json.MAX_MANIFEST_BYTES, where + ": index.json");
    }
    index = Json.parseObject(indexBytes, where + ": index.json");
    JsonNode manifests = index.get("manifests");
    if (manifests == null || !manifests.isArray()) {
      throw new InvalidImageException(where + ": index.json has no 'manifests' array");
    }
    List<Descriptor> all = new ArrayList<>();
    for (int i = 0; i < manifests.size(); i++) {
      all.add(Descriptor.parse(manifests.get(i), where + ": index.json manifests[" + i + "]"));
    }
    ManifestResolver resolver = new ManifestResolver(d -> blob(tree, where, d), where);
    Descriptor chosen = choose(all, transport, path, selector, platform, where, resolver);
    List<String> names = new ArrayList<>();
    String ref = chosen.annotations().get(REF_NAME);
    if (ref != null && namesAnImage(ref)) {
      names.add(ref);
    }
    Image image =
        new ManifestResolver(d -> blob(tree, where, d), imageName).resolve(chosen, platform, names);
    return ref != null && !namesAnImage(ref) ? image.withLayoutTag(ref) : image;
  }

  /**
   * Whether a ref name is an image name ({@code app:1}, {@code example.org/ns/app}) rather than
   * only a tag within the layout ({@code v3}, {@code latest}): the image-spec's layout examples use
   * it as a tag, and skopeo never turns it into a repository name ({@code skopeo copy oci:DIR:v3
   * docker-archive:x.tar} writes no RepoTags), so a bare component names no image.
   */
  static boolean namesAnImage(String ref) {
    return ref.indexOf('/') >= 0 || ref.indexOf(':') >= 0 || ref.indexOf('@') >= 0;
  }

  private static Descriptor choose(
      List<Descriptor> all,
      String transport,
      String path,
      String selector,
      Platform platform,
      String where,
      ManifestResolver resolver)
      throws IsulaException {
    List<Descriptor> matches = new ArrayList<>();
    int sourceIndex =
        selector != null && selector.matches("@[0-9]{1,9}")
            ? Integer.parseInt(selector.substring(1))
            : -1;
    if (sourceIndex >= 0) {
      if (sourceIndex >= all.size()) {
        throw notFound(all, transport, path, where + " has no image @" + sourceIndex);
      }
      return all.get(sourceIndex);
    }
    for (Descriptor d : all) {
      if (ManifestResolver.isAttestation(d)) {
        continue;
      }
      if (selector == null
          || selector.equals(d.annotations().get(REF_NAME))
          || selector.equals(d.annotations().get(CONTAINERD_NAME))) {
        matches.add(d);
      }
    }
    if (matches.size() == 1) {
      return matches.get(0);
    }
    if (matches.isEmpty()) {
      throw notFound(
          all,
          transport,
          path,
          selector == null
              ? where + " holds no images"
              : where + " has no image named '" + selector + "'");
    }
    // several: entries of one multi-platform image written flat, or several images
    List<Descriptor> forPlatform = new ArrayList<>();
    for (Descriptor d : matches) {
      if (d.platform() != null && platform.matches(d.platform())) {
        forPlatform.add(d);
      }
    }
    if (forPlatform.size() == 1) {
      return forPlatform.get(0);
    }
    throw notFound(all, transport, path, where + " holds " + matches.size() + " images; pick one");
  }

  private static ImageNotFoundException notFound(
      List<Descriptor> all, String transport, String path, String message) {
    List<String> candidates = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      Descriptor d = all.get(i);
      String ref = d.annotations().get(REF_NAME);
      String label =
          ref != null ? transport + ":" + path + ":" + ref : transport + ":" + path + ":@" + i;
      if (d.platform() != null) {
        label += " (" + d.platform() + ")";
      }
      candidates.add(label);
    }
    return new ImageNotFoundException(
        message + (candidates.isEmpty() ? "" : ": " + String.join(", ", candidates)), candidates);
  }

  /** {@code PATH:@N} for every image entry of the layout's index.json (attestations skipped). */
  static List<String> list(FileTree tree, String path) throws IOException, IsulaException {
    byte[] indexBytes;
    try (InputStream in = tree.open("index.json")) {
      indexBytes = Json.readCapped(in, Json.MAX_MANIFEST_BYTES, path + ": index.json");
    }
    JsonNode manifests = Json.parseObject(indexBytes, path + ": index.json").get("manifests");
    List<String> out = new ArrayList<>();
    if (manifests != null && manifests.isArray()) {
      for (int i = 0; i < manifests.size(); i++) {
        Descriptor d = Descriptor.parse(manifests.get(i), path + ": index.json");
        if (!ManifestResolver.isAttestation(d)) {
          out.add(path + ":@" + i);
        }
      }
    }
    return out;
  }

  static dev.isula.toolkit.blob.BlobSource blob(FileTree tree, String where, Digest d)
      throws IsulaException {
    String name = "blobs/" + d.algorithm() + "/" + d.hex();
    if (!tree.isFile(name)) {
      throw new InvalidImageException(where + ": missing blob " + d);
    }
    return tree.blob(name);
  }
}
