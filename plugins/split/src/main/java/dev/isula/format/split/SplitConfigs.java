package dev.isula.format.split;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.image.CreatedDates;
import dev.isula.toolkit.image.ImageTimes;
import dev.isula.toolkit.json.Json;
import java.util.function.Consumer;

/**
 * The config rewrites of a split and of its reverse. A split keeps the whole config (Env, Cmd,
 * Entrypoint, WorkingDir, User, Labels, ports, volumes, StopSignal, platform) but points it at one
 * empty layer; the original history entries stay, marked {@code empty_layer}, and one entry is
 * added for the empty layer. Import puts the real rootfs layer in its place.
 */
final class SplitConfigs {
  /** created_by of the history entry a split adds. */
  static final String SPLIT_MARKER = "isula-toolkit export --split";

  /** A valid empty tar: two zero blocks. */
  static final byte[] EMPTY_LAYER = new byte[1024];

  static final Digest EMPTY_LAYER_DIFF_ID = Digest.sha256(EMPTY_LAYER);

  private SplitConfigs() {}

  /**
   * The config of the empty image for {@code original}, every {@code created} date filled in as
   * iSulad's loader requires ({@link CreatedDates#fill}).
   */
  static byte[] emptyConfig(ObjectNode original, Consumer<String> log) {
    ObjectNode c = original.deepCopy();
    setDiffIds(c, EMPTY_LAYER_DIFF_ID);
    ArrayNode history = JsonNodeFactory.instance.arrayNode();
    JsonNode old = original.get("history");
    if (old != null && old.isArray()) {
      for (JsonNode h : old) {
        if (h.isObject()) {
          ObjectNode e = ((ObjectNode) h).deepCopy();
          e.put("empty_layer", true);
          history.add(e);
        }
      }
    }
    ObjectNode added = history.addObject();
    String created = Json.optText(original, "created");
    if (created != null) {
      added.put("created", created);
    }
    added.put("created_by", SPLIT_MARKER);
    added.put("comment", "the root filesystem is kept outside this image, next to it");
    c.set("history", history);
    CreatedDates.fill(c, log);
    return Json.compact(c);
  }

  /** The config of the image rebuilt from an empty image's config and its rootfs layer. */
  static byte[] restoredConfig(ObjectNode empty, Digest diffId) {
    ObjectNode c = empty.deepCopy();
    setDiffIds(c, diffId);
    ArrayNode history = JsonNodeFactory.instance.arrayNode();
    boolean replaced = false;
    JsonNode old = empty.get("history");
    if (old != null && old.isArray()) {
      for (JsonNode h : old) {
        if (!h.isObject()) {
          continue;
        }
        ObjectNode e = ((ObjectNode) h).deepCopy();
        if (!replaced && SPLIT_MARKER.equals(Json.optText(e, "created_by"))) {
          history.add(importEntry());
          replaced = true;
        } else {
          e.put("empty_layer", true);
          history.add(e);
        }
      }
    }
    if (!replaced) {
      history.add(importEntry());
    }
    c.set("history", history);
    return Json.compact(c);
  }

  private static ObjectNode importEntry() {
    ObjectNode e = JsonNodeFactory.instance.objectNode();
    e.put("created", ImageTimes.created());
    e.put("created_by", "isula-toolkit import --rootfs");
    return e;
  }

  private static void setDiffIds(ObjectNode c, Digest diffId) {
    ObjectNode rootfs = JsonNodeFactory.instance.objectNode();
    rootfs.put("type", "layers");
    rootfs.putArray("diff_ids").add(diffId.toString());
    c.set("rootfs", rootfs);
  }
}
