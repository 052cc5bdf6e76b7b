package dev.isula.toolkit.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.DigestMismatchException;
import dev.isula.toolkit.api.ImageNotFoundException;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.api.IsulaException;
import dev.isula.toolkit.api.UnsupportedFormatException;
import dev.isula.toolkit.blob.BlobSource;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an OCI/Docker descriptor into an {@link Image}: follows (nested) indexes to the manifest
 * for the wanted platform, fetches and verifies the manifest and config, and checks that layers and
 * DiffIDs line up. Shared by every format that stores content-addressed blobs.
 */
public final class ManifestResolver {
  private static final int MAX_INDEX_DEPTH = 8;

  /** Content-addressed blob lookup of one source. */
  @FunctionalInterface
  public interface Blobs {
    /**
     * The blob with this digest.
     *
     * @throws InvalidImageException if it is missing
     */
    BlobSource get(Digest digest) throws IsulaException;
  }

  private final Blobs blobs;
  private final String source;

  public ManifestResolver(Blobs blobs, String source) {
    this.blobs = blobs;
    this.source = source;
  }

  /**
   * Resolves {@code top} (an index or a manifest) to one image.
   *
   * @throws ImageNotFoundException if an index has no entry for {@code wanted}
   */
  public Image resolve(Descriptor top, Platform wanted, List<String> names)
      throws IsulaException, IOException {
    Descriptor d = top;
    for (int depth = 0; depth <= MAX_INDEX_DEPTH; depth++) {
      byte[] bytes = fetch(d, Json.MAX_MANIFEST_BYTES, "manifest " + d.digest().shortHex());
      ObjectNode doc = Json.parseObject(bytes, source + ": manifest " + d.digest());
      String mt = d.mediaType().isEmpty() ? Json.optText(doc, "mediaType") : d.mediaType();
      if (mt == null || mt.isEmpty()) {
        mt = doc.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
      }
      if (MediaTypes.isIndex(mt)) {
        d = selectPlatform(doc, wanted, d);
        continue;
      }
      if (!MediaTypes.isManifest(mt)) {
        throw new UnsupportedFormatException(
            source + ": " + d.digest() + " has unsupported media type '" + mt + "'");
      }
      return image(bytes, doc, mt, names);
    }
    throw new InvalidImageException(source + ": indexes nested too deeply");
  }

  /** Picks the manifest for {@code wanted} from an index document. */
  public Descriptor selectPlatform(JsonNode index, Platform wanted, Descriptor indexDescriptor)
      throws IsulaException {
    String where = source + ": index " + indexDescriptor.digest().shortHex();
    JsonNode manifests = index.get("manifests");
    if (manifests == null || !manifests.isArray()) {
      throw new InvalidImageException(where + ": missing 'manifests'");
    }
    List<Descriptor> candidates = new ArrayList<>();
    int i = 0;
    for (JsonNode m : manifests) {
      Descriptor c = Descriptor.parse(m, where + " manifests[" + i++ + "]");
      if (isAttestation(c)) {
        continue;
      }
      candidates.add(c);
    }
    for (Descriptor c : candidates) {
      if (c.platform() != null && wanted.matches(c.platform())) {
        return c;
      }
    }
    if (candidates.size() == 1 && candidates.get(0).platform() == null) {
      return candidates.get(0);
    }
    List<String> available = new ArrayList<>();
    for (Descriptor c : candidates) {
      available.add(c.platform() == null ? "(no platform)" : c.platform().toString());
    }
    throw new ImageNotFoundException(
        source
            + ": no image for platform "
            + wanted
            + "; available: "
            + (available.isEmpty() ? "none" : String.join(", ", available))
            + " (use --platform)",
        available);
  }

  /** Attestation manifests (buildkit provenance/SBOM) are not runnable images. */
  public static boolean isAttestation(Descriptor c) {
    return (c.platform() != null && c.platform().isUnknown())
        || "attestation-manifest".equals(c.annotations().get("vnd.docker.reference.type"));
  }

  private Image image(
      byte[] manifestBytes, ObjectNode manifest, String mediaType, List<String> names)
      throws IsulaException, IOException {
    String where = source + ": manifest";
    Descriptor configDescriptor = Descriptor.parse(manifest.get("config"), where + " config");
    byte[] configBytes = fetch(configDescriptor, Json.MAX_CONFIG_BYTES, "config");
    Image.Builder b =
        Image.builder()
            .source(source)
            .names(names)
            .manifest(manifestBytes, mediaType)
            .config(configBytes, source + ": config");
    ObjectNode config = Json.parseObject(configBytes, source + ": config");
    List<Digest> diffIds = Image.diffIds(config, source);
    JsonNode layers = manifest.get("layers");
    if (layers == null || !layers.isArray()) {
      throw new InvalidImageException(where + ": missing 'layers'");
    }
    if (layers.size() != diffIds.size()) {
      throw new InvalidImageException(
          where
              + " lists "
              + layers.size()
              + " layers but the config lists "
              + diffIds.size()
              + " diff_ids");
    }
    for (int i = 0; i < layers.size(); i++) {
      Descriptor ld = Descriptor.parse(layers.get(i), where + " layers[" + i + "]");
      if (!MediaTypes.isLayer(ld.mediaType())) {
        throw new UnsupportedFormatException(
            source + ": layer " + (i + 1) + " has unsupported media type '" + ld.mediaType() + "'");
      }
      BlobSource blob = blobs.get(ld.digest());
      b.addLayer(
          new Layer(
              i, layers.size(), ld.mediaType(), ld.digest(), ld.size(), diffIds.get(i), blob));
    }
    return b.build();
  }

  /**
   * Reads a small blob (manifest, config) with a size cap and verifies its digest and size.
   *
   * @throws DigestMismatchException if the bytes do not match the descriptor
   */
  public byte[] fetch(Descriptor d, int cap, String what) throws IsulaException, IOException {
    if (d.size() > cap) {
      throw new InvalidImageException(
          source + ": " + what + " is " + d.size() + " bytes; limit is " + cap);
    }
    BlobSource blob = blobs.get(d.digest());
    byte[] bytes;
    try (InputStream in = blob.open()) {
      bytes = Json.readCapped(in, cap, source + ": " + what);
    }
    Digest actual = Digest.fromHash(d.digest().algorithm(), d.digest().newHasher().digest(bytes));
    if (!actual.equals(d.digest())) {
      throw new DigestMismatchException(source + ": " + what, d.digest(), actual);
    }
    if (bytes.length != d.size()) {
      throw new InvalidImageException(
          source + ": " + what + " is " + bytes.length + " bytes, descriptor says " + d.size());
    }
    return bytes;
  }
}
