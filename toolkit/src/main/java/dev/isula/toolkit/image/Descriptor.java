package dev.isula.toolkit.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.InvalidImageException;
import dev.isula.toolkit.hash.Digest;
import dev.isula.toolkit.json.Json;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An OCI content descriptor: what a blob is (media type), which bytes (digest) and how many (size),
 * plus annotations and, inside indexes, the platform it is for.
 */
public final class Descriptor {
  private final String mediaType;
  private final Digest digest;
  private final long size;
  private final Map<String, String> annotations;
  private final Platform platform;

  private Descriptor(
      String mediaType, Digest digest, long size, Map<String, String> annotations, Platform p) {
    this.mediaType = Objects.requireNonNull(mediaType);
    this.digest = Objects.requireNonNull(digest);
    this.size = size;
    this.annotations = Collections.unmodifiableMap(new TreeMap<>(annotations));
    this.platform = p;
  }

  public static Descriptor of(String mediaType, Digest digest, long size) {
    return new Descriptor(mediaType, digest, size, Map.of(), null);
  }

  public Descriptor withAnnotations(Map<String, String> a) {
    return new Descriptor(mediaType, digest, size, a, platform);
  }

  public Descriptor withPlatform(Platform p) {
    return new Descriptor(mediaType, digest, size, annotations, p);
  }

  /**
   * Parses and validates a descriptor object.
   *
   * @throws InvalidImageException naming {@code where} if a field is missing or malformed
   */
  public static Descriptor parse(JsonNode node, String where) throws InvalidImageException {
    if (node == null || !node.isObject()) {
      throw new InvalidImageException(where + ": descriptor must be an object");
    }
    String mediaType = Json.optText(node, "mediaType");
    if (mediaType == null) {
      mediaType = "";
    }
    String digestText = Json.text(node, "digest", where);
    Digest digest;
    try {
      digest = Digest.parse(digestText);
    } catch (IllegalArgumentException e) {
      throw new InvalidImageException(where + ": " + e.getMessage());
    }
    JsonNode sizeNode = node.get("size");
    if (sizeNode == null || !sizeNode.canConvertToLong() || sizeNode.asLong() < 0) {
      throw new InvalidImageException(where + ": missing or invalid 'size'");
    }
    Map<String, String> annotations = new TreeMap<>();
    JsonNode ann = node.get("annotations");
    if (ann != null && ann.isObject()) {
      ann.fields()
          .forEachRemaining(
              e -> {
                if (e.getValue().isTextual()) {
                  annotations.put(e.getKey(), e.getValue().asText());
                }
              });
    }
    Platform platform = null;
    JsonNode p = node.get("platform");
    if (p != null && p.isObject()) {
      platform =
          Platform.of(
              Json.optText(p, "os"), Json.optText(p, "architecture"), Json.optText(p, "variant"));
    }
    return new Descriptor(mediaType, digest, sizeNode.asLong(), annotations, platform);
  }

  /** The descriptor as JSON (mediaType, digest, size, then platform/annotations if any). */
  public ObjectNode toJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("mediaType", mediaType);
    o.put("digest", digest.toString());
    o.put("size", size);
    if (platform != null) {
      ObjectNode p = o.putObject("platform");
      p.put("architecture", platform.architecture());
      p.put("os", platform.os());
      if (!platform.variant().isEmpty()) {
        p.put("variant", platform.variant());
      }
    }
    if (!annotations.isEmpty()) {
      ObjectNode a = o.putObject("annotations");
      annotations.forEach(a::put);
    }
    return o;
  }

  public String mediaType() {
    return mediaType;
  }

  public Digest digest() {
    return digest;
  }

  public long size() {
    return size;
  }

  public Map<String, String> annotations() {
    return annotations;
  }

  /** Null unless the descriptor came from an index entry with a platform. */
  public Platform platform() {
    return platform;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Descriptor d
        && mediaType.equals(d.mediaType)
        && digest.equals(d.digest)
        && size == d.size
        && annotations.equals(d.annotations)
        && Objects.equals(platform, d.platform);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mediaType, digest, size);
  }

  @Override
  public String toString() {
    return mediaType + " " + digest + " (" + size + " bytes)";
  }
}
