package dev.isula.format.containersstorage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.hash.Digest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The entries of a store's {@code images.json} and {@code layers.json} (containers/storage) or of
 * its per-image {@code images.json} and per-layer {@code layer.json} files (iSulad): the same field
 * names in both. Only the fields a reader needs are kept.
 */
final class Records {
  private Records() {}

  /**
   * An image entry.
   *
   * @param layer the id of the image's top layer, or null for an image without layers
   * @param bigDataNames the keys of the image's big-data items (manifest, config, signatures)
   * @param digests the manifest digests the image can be found by: {@code digest}, {@code digests}
   *     and the recorded digests of its {@code manifest*} items
   */
  record ImageRecord(
      String id,
      List<String> names,
      String layer,
      List<String> bigDataNames,
      Map<String, String> bigDataDigests,
      Set<String> digests) {

    static ImageRecord parse(JsonNode n, String where) throws InvalidImageException {
      String id = requireId(n, where);
      List<String> names = strings(n.get("names"));
      List<String> bigDataNames = strings(n.get("big-data-names"));
      Map<String, String> bigDataDigests = new LinkedHashMap<>();
      JsonNode d = n.get("big-data-digests");
      if (d != null && d.isObject()) {
        d.fields()
            .forEachRemaining(
                e -> {
                  if (e.getValue().isTextual()) {
                    bigDataDigests.put(e.getKey(), e.getValue().asText());
                  }
                });
      }
      Set<String> digests = new LinkedHashSet<>();
      String digest = text(n, "digest");
      if (digest != null) {
        digests.add(digest);
      }
      digests.addAll(strings(n.get("digests")));
      bigDataDigests.forEach(
          (k, v) -> {
            if (k.startsWith("manifest")) {
              digests.add(v);
            }
          });
      return new ImageRecord(
          id,
          names,
          text(n, "layer"),
          bigDataNames,
          Collections.unmodifiableMap(bigDataDigests),
          Collections.unmodifiableSet(digests));
    }
  }

  /**
   * One range of a layer's id mapping: {@code size} ids from {@code containerId} at {@code hostId}.
   */
  record IdRange(long containerId, long hostId, long size) {}

  /**
   * A layer entry.
   *
   * @param diffDigest the digest of the layer's uncompressed tar, or null if not recorded
   * @param diffSize its size, or -1 if not recorded
   * @param uidMap the layer's uid mapping (host ids on disk), empty when not mapped
   * @param incomplete true while a layer is being written (or was left so by a crash)
   */
  record LayerRecord(
      String id,
      String parent,
      Digest diffDigest,
      long diffSize,
      List<IdRange> uidMap,
      List<IdRange> gidMap,
      boolean incomplete) {

    static LayerRecord parse(JsonNode n, String where) throws InvalidImageException {
      String id = requireId(n, where);
      String digestText = text(n, "diff-digest");
      Digest diffDigest = null;
      if (digestText != null) {
        try {
          diffDigest = Digest.parse(digestText);
        } catch (IllegalArgumentException e) {
          throw new InvalidImageException(where + ": layer " + id + ": " + e.getMessage());
        }
      }
      JsonNode size = n.get("diff-size");
      JsonNode flags = n.get("flags");
      boolean incomplete =
          (flags != null && flags.path("incomplete").asBoolean(false))
              // iSulad's layer.json spells it so
              || n.path("incompelte").asBoolean(false)
              || n.path("incomplete").asBoolean(false);
      return new LayerRecord(
          id,
          text(n, "parent"),
          diffDigest,
          size != null && size.canConvertToLong() ? size.asLong() : -1,
          ranges(n.get("uidmap"), where, id),
          ranges(n.get("gidmap"), where, id),
          incomplete);
    }
  }

  private static String requireId(JsonNode n, String where) throws InvalidImageException {
    String id = n == null || !n.isObject() ? null : text(n, "id");
    if (id == null || !id.matches("[0-9a-zA-Z][0-9a-zA-Z_.-]*")) {
      throw new InvalidImageException(where + ": an entry has no valid 'id'");
    }
    return id;
  }

  private static List<IdRange> ranges(JsonNode arr, String where, String id)
      throws InvalidImageException {
    if (arr == null || arr.isNull()) {
      return List.of();
    }
    if (!arr.isArray()) {
      throw new InvalidImageException(where + ": layer " + id + ": id map is not a list");
    }
    List<IdRange> out = new ArrayList<>();
    for (JsonNode r : arr) {
      JsonNode c = r.get("container_id");
      JsonNode h = r.get("host_id");
      JsonNode s = r.get("size");
      if (c == null || h == null || s == null || !c.canConvertToLong() || !h.canConvertToLong()) {
        throw new InvalidImageException(where + ": layer " + id + ": malformed id map entry " + r);
      }
      out.add(new IdRange(c.asLong(), h.asLong(), s.asLong()));
    }
    return List.copyOf(out);
  }

  static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v != null && v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
  }

  static List<String> strings(JsonNode arr) {
    List<String> out = new ArrayList<>();
    if (arr != null && arr.isArray()) {
      for (JsonNode v : arr) {
        if (v.isTextual()) {
          out.add(v.asText());
        }
      }
    }
    return List.copyOf(out);
  }
}
