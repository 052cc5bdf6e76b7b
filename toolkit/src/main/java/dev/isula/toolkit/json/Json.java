package dev.isula.toolkit.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.isula.toolkit.api.InvalidImageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * JSON documents of images (manifests, indexes, configs) read with a hard size cap, so a hostile
 * archive cannot make us buffer gigabytes, and written compactly or pretty with sorted keys.
 */
public final class Json {
  /** Cap for manifest.json, index.json, manifests, indexes and repositories files. */
  public static final int MAX_MANIFEST_BYTES = 1 << 20;

  /** Cap for image configs, which carry history and may be larger. */
  public static final int MAX_CONFIG_BYTES = 4 << 20;

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .build();

  static {
    MAPPER
        .getFactory()
        .setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(100).build());
  }

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Reads at most {@code limit} bytes from {@code in} (which the caller closes).
   *
   * @throws InvalidImageException if the document is larger than the limit
   */
  public static byte[] readCapped(InputStream in, int limit, String what)
      throws IOException, InvalidImageException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[16 * 1024];
    int total = 0;
    int n;
    while ((n = in.read(buf)) >= 0) {
      total += n;
      if (total > limit) {
        throw new InvalidImageException(
            what + " is larger than " + (limit >> 10) + " KiB; refusing to read it");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /**
   * Parses a document that must be a JSON object.
   *
   * @throws InvalidImageException naming {@code what} when it is not valid JSON or not an object
   */
  public static ObjectNode parseObject(byte[] bytes, String what) throws InvalidImageException {
    JsonNode node = parse(bytes, what);
    if (!(node instanceof ObjectNode o)) {
      throw new InvalidImageException(what + ": expected a JSON object");
    }
    return o;
  }

  /** Parses any JSON document. */
  public static JsonNode parse(byte[] bytes, String what) throws InvalidImageException {
    try {
      JsonNode node = MAPPER.readTree(bytes);
      if (node == null || node.isMissingNode()) {
        throw new InvalidImageException(what + ": empty document");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new InvalidImageException(
          what + ": invalid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
    } catch (IOException e) {
      throw new InvalidImageException(what + ": unreadable JSON: " + e.getMessage());
    }
  }

  /** Reads, caps and parses an object in one step. */
  public static ObjectNode readObject(InputStream in, int limit, String what)
      throws IOException, InvalidImageException {
    return parseObject(readCapped(in, limit, what), what);
  }

  /** Compact UTF-8 bytes in insertion order (what we write into images). */
  public static byte[] compact(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Pretty text with keys sorted at every level, for people and golden files. */
  public static String prettySorted(JsonNode node) {
    try {
      return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(sorted(node)) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A deep copy with object keys in sorted order. */
  public static JsonNode sorted(JsonNode node) {
    if (node instanceof ObjectNode o) {
      List<String> keys = new ArrayList<>();
      o.fieldNames().forEachRemaining(keys::add);
      keys.sort(null);
      ObjectNode copy = JsonNodeFactory.instance.objectNode();
      for (String k : keys) {
        copy.set(k, sorted(o.get(k)));
      }
      return copy;
    }
    if (node instanceof ArrayNode a) {
      ArrayNode copy = JsonNodeFactory.instance.arrayNode();
      for (JsonNode n : a) {
        copy.add(sorted(n));
      }
      return copy;
    }
    return node;
  }

  /** A required string field, with an error naming the document when missing. */
  public static String text(JsonNode node, String field, String what) throws InvalidImageException {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new InvalidImageException(what + ": missing or non-string field '" + field + "'");
    }
    return v.asText();
  }

  /** An optional string field; null when absent. */
  public static String optText(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  /** String array field (absent or null = empty list). */
  public static List<String> textList(JsonNode node, String field, String what)
      throws InvalidImageException {
    JsonNode v = node.get(field);
    List<String> out = new ArrayList<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (!v.isArray()) {
      throw new InvalidImageException(what + ": field '" + field + "' must be an array");
    }
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw new InvalidImageException(what + ": field '" + field + "' must hold strings");
      }
      out.add(e.asText());
    }
    return out;
  }

  /** Iterates the fields of an object node (helper for annotation maps). */
  public static Iterator<Map.Entry<String, JsonNode>> fields(JsonNode node) {
    return node == null ? java.util.Collections.emptyIterator() : node.fields();
  }

  public static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
