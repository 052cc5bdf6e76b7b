package dev.isula.format.split;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code isula-split.json}, stored in empty.tar next to manifest.json: which rootfs the empty image
 * was split from (its DiffID: the digest of the tar import will make of it, and that tar's size),
 * its file name beside empty.tar, and the source image's names, config digest and DiffIDs.
 *
 * <p>Version 2 records only what belongs to the image, never where it was read from (version 1 had
 * the reference as typed, often a local path, and the manifest digest, which depends on how the
 * layers were compressed): the same image split anywhere gives the same record. {@code sourceNames}
 * is null for a version 1 record, which did not keep the names apart from empty.tar's.
 */
record SplitRecord(
    String rootfsFormat,
    String rootfsPath,
    Digest rootfsDiffId,
    long rootfsTarSize,
    List<String> sourceNames,
    Digest sourceConfigDigest,
    List<Digest> sourceDiffIds) {

  static final String FILE = "isula-split.json";

  static final int VERSION = 2;

  byte[] toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("version", VERSION);
    o.put("createdBy", "isula-toolkit");
    ObjectNode r = o.putObject("rootfs");
    r.put("format", rootfsFormat);
    r.put("path", rootfsPath);
    r.put("diffId", rootfsDiffId.toString());
    r.put("tarSize", rootfsTarSize);
    ObjectNode s = o.putObject("source");
    ArrayNode names = s.putArray("names");
    sourceNames.forEach(names::add);
    s.put("configDigest", sourceConfigDigest.toString());
    ArrayNode ids = s.putArray("diffIds");
    sourceDiffIds.forEach(d -> ids.add(d.toString()));
    return Json.compact(o);
  }

  static SplitRecord parse(byte[] bytes, String where) throws InvalidImageException {
    ObjectNode o = Json.parseObject(bytes, where);
    try {
      ObjectNode r = (ObjectNode) o.get("rootfs");
      ObjectNode s = (ObjectNode) o.get("source");
      if (r == null || s == null) {
        throw new InvalidImageException(where + ": missing 'rootfs' or 'source'");
      }
      List<Digest> ids = new ArrayList<>();
      for (String d : Json.textList(s, "diffIds", where)) {
        ids.add(Digest.parse(d));
      }
      String path = Json.text(r, "path", where);
      if (path.isEmpty()
          || path.contains("/")
          || path.equals(".")
          || path.equals("..")
          || path.indexOf('\0') >= 0) {
        // the rootfs lies beside empty.tar; a path elsewhere would read outside the pair
        throw new InvalidImageException(
            where + ": rootfs path '" + path + "' must be a file name beside empty.tar");
      }
      int version = o.path("version").asInt(1);
      if (version > VERSION) {
        throw new InvalidImageException(
            where
                + ": version "
                + version
                + " is newer than this isula-toolkit reads ("
                + VERSION
                + ")");
      }
      // version 1 kept no names of its own (import took empty.tar's RepoTags)
      List<String> names = version >= 2 ? Json.textList(s, "names", where) : null;
      return new SplitRecord(
          Json.text(r, "format", where),
          path,
          Digest.parse(Json.text(r, "diffId", where)),
          r.path("tarSize").asLong(-1),
          names,
          Digest.parse(Json.text(s, "configDigest", where)),
          ids);
    } catch (ClassCastException | IllegalArgumentException e) {
      throw new InvalidImageException(where + ": malformed: " + e.getMessage());
    }
  }
}
