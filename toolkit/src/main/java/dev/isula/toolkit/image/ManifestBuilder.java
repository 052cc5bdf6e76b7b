package dev.isula.toolkit.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import java.util.List;

/** Builds OCI image manifests for images being written. */
public final class ManifestBuilder {
  private ManifestBuilder() {}

  /** An OCI manifest for this config and these (prepared) layers, as compact JSON bytes. */
  public static byte[] oci(byte[] config, List<LayerBlobs.Prepared> layers) {
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MediaTypes.OCI_MANIFEST);
    ObjectNode c = m.putObject("config");
    c.put("mediaType", MediaTypes.OCI_CONFIG);
    c.put("digest", Digest.sha256(config).toString());
    c.put("size", config.length);
    ArrayNode arr = m.putArray("layers");
    for (LayerBlobs.Prepared p : layers) {
      ObjectNode l = arr.addObject();
      l.put("mediaType", p.ociMediaType());
      l.put("digest", p.digest().toString());
      l.put("size", p.size());
    }
    return Json.compact(m);
  }

  /**
   * The manifest to write for {@code image}: its own bytes when it has an OCI manifest and every
   * layer is copied unchanged (so the manifest digest survives), else a new one.
   */
  public static byte[] forImage(Image image, List<LayerBlobs.Prepared> layers) {
    boolean unchanged = layers.stream().allMatch(LayerBlobs.Prepared::asIs);
    if (unchanged
        && image.manifestBytes() != null
        && MediaTypes.OCI_MANIFEST.equals(image.manifestMediaType())) {
      return image.manifestBytes();
    }
    return oci(image.configBytes(), layers);
  }
}
