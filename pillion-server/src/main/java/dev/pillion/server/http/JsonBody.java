package dev.pillion.server.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the JSON that clients and apps send (request bodies of the HTTP API, the app's {@code
 * /dapr/subscribe} answer and delivery responses) as strictly as daprd's Go decoding does: one JSON
 * value and nothing after it, and every field Pillion reads of the type daprd declares for it (a
 * string stays a string: an etag {@code {"v":"999"}} or options {@code "first-write"} are errors,
 * never treated as absent). {@code null} counts as absent, as in Go. Unknown fields are ignored, as
 * in Go.
 *
 * <p>Every field is looked up through {@link #field}, the one place that decides how a name
 * matches: as Go's {@code encoding/json} matches struct fields, in any letter case ({@code
 * pubsubName} and {@code PUBSUBNAME} are {@code pubsubname}), an exact match first.
 */
public final class JsonBody {
  /**
   * Numbers keep their text (no double rounding, no {@code Infinity} for {@code 1e400}), so a value
   * is stored as the JSON it was given.
   */
  public static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  private JsonBody() {}

  /**
   * Parses a request body: exactly one JSON value.
   *
   * @param content the body
   * @return the value
   * @throws DaprApiException ERR_MALFORMED_REQUEST for an empty body, invalid JSON or anything
   *     after the value
   */
  public static JsonNode parse(ByteBuf content) {
    byte[] bytes = new byte[content.readableBytes()];
    content.getBytes(content.readerIndex(), bytes);
    return parse(bytes, "the request body");
  }

  /**
   * Parses a body: exactly one JSON value.
   *
   * @param bytes the body
   * @param what its name in messages, e.g. {@code the request body}
   * @return the value
   * @throws DaprApiException ERR_MALFORMED_REQUEST for an empty body, invalid JSON or anything
   *     after the value
   */
  public static JsonNode parse(byte[] bytes, String what) {
    if (bytes.length == 0) {
      throw malformed(what + " is empty");
    }
    try (JsonParser parser = JSON.createParser(bytes)) {
      JsonNode value = JSON.readTree(parser);
      if (value == null || value.isMissingNode()) {
        throw malformed(what + " is empty");
      }
      if (parser.nextToken() != null) {
        throw malformed(
            what
                + " has more content after its JSON value (at byte "
                + parser.currentTokenLocation().getByteOffset()
                + ")");
      }
      return value;
    } catch (JsonProcessingException e) {
      throw malformed(what + " is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw malformed("cannot read " + what + ": " + e.getMessage());
    }
  }

  /**
   * A field of an object, or null when absent or JSON {@code null}. The name matches as Go's {@code
   * encoding/json} matches a struct field's name: exactly, or else in any letter case (with Go's
   * Unicode folding, so {@code ſ} and the Kelvin sign {@code K} count as {@code s} and {@code k}).
   * An exact, non-null match wins; without one, the last matching key does, as the last of several
   * keys for one field wins in Go.
   *
   * @param object the object
   * @param name the field's name, ASCII, as daprd's struct tag spells it
   * @return the value, never a JSON null
   */
  public static JsonNode field(ObjectNode object, String name) {
    JsonNode exact = object.get(name);
    if (exact != null && !exact.isNull()) {
      return exact;
    }
    JsonNode folded = null;
    Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> entry = fields.next();
      if (!entry.getValue().isNull() && foldEquals(entry.getKey(), name)) {
        folded = entry.getValue();
      }
    }
    return folded;
  }

  /**
   * Whether a JSON key names an ASCII field name in Go's case-insensitive matching ({@code
   * bytes.EqualFold}): the same letters in any case, where the long s (U+017F) folds to {@code s}
   * and the Kelvin sign (U+212A) to {@code k}. Java's {@code equalsIgnoreCase} would also let the
   * dotted and dotless i (U+0130, U+0131) stand for {@code i}, which Go does not.
   */
  public static boolean foldEquals(String key, String name) {
    if (key.length() != name.length()) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char k = key.charAt(i);
      char n = name.charAt(i);
      if (k == n) {
        continue;
      }
      char lower = Character.toLowerCase(n);
      if (n < 128 && Character.isLetter(n) && (k == lower || k == Character.toUpperCase(n))) {
        continue;
      }
      if (k == '\u017F' && lower == 's' || k == '\u212A' && lower == 'k') {
        continue;
      }
      return false;
    }
    return true;
  }

  /**
   * Requires an object.
   *
   * @param node the value
   * @param what its name in messages, e.g. {@code [0]} or {@code the request body}
   * @return the object
   */
  public static ObjectNode object(JsonNode node, String what) {
    if (node instanceof ObjectNode object) {
      return object;
    }
    throw malformed(what + " must be a JSON object, not " + describe(node));
  }

  /**
   * Requires an array.
   *
   * @param node the value
   * @param what its name in messages
   * @return the array
   */
  public static ArrayNode array(JsonNode node, String what) {
    if (node instanceof ArrayNode array) {
      return array;
    }
    throw malformed(what + " must be a JSON array, not " + describe(node));
  }

  /**
   * An optional object field.
   *
   * @param object the enclosing object
   * @param name the field
   * @param what the field's name in messages
   * @return the object, empty when absent or null
   */
  public static Optional<ObjectNode> optionalObject(ObjectNode object, String name, String what) {
    JsonNode value = field(object, name);
    return value == null ? Optional.empty() : Optional.of(object(value, what));
  }

  /**
   * An optional array field.
   *
   * @param object the enclosing object
   * @param name the field
   * @param what the field's name in messages
   * @return its elements, empty when absent or null
   */
  public static List<JsonNode> optionalArray(ObjectNode object, String name, String what) {
    JsonNode value = field(object, name);
    if (value == null) {
      return List.of();
    }
    List<JsonNode> elements = new java.util.ArrayList<>();
    array(value, what).forEach(elements::add);
    return elements;
  }

  /**
   * An optional string field.
   *
   * @param object the enclosing object
   * @param name the field
   * @param what the field's name in messages
   * @return the string, empty when absent or null
   */
  public static Optional<String> optionalString(ObjectNode object, String name, String what) {
    JsonNode value = field(object, name);
    return value == null ? Optional.empty() : Optional.of(string(value, what));
  }

  /**
   * A required, non-empty string field.
   *
   * @param object the enclosing object
   * @param name the field
   * @param what the field's name in messages
   * @return the string
   */
  public static String requiredString(ObjectNode object, String name, String what) {
    String value = optionalString(object, name, what).orElse("");
    if (value.isEmpty()) {
      throw malformed(what + " is required (a non-empty string)");
    }
    return value;
  }

  /**
   * Requires a string.
   *
   * @param node the value
   * @param what its name in messages
   * @return the string
   */
  public static String string(JsonNode node, String what) {
    if (node != null && node.isTextual()) {
      return node.textValue();
    }
    throw malformed(what + " must be a string, not " + describe(node));
  }

  /**
   * An optional integer field (Go's {@code int}).
   *
   * @param object the enclosing object
   * @param name the field
   * @param what the field's name in messages
   * @return the number, empty when absent or null
   */
  public static Optional<Long> optionalInteger(ObjectNode object, String name, String what) {
    JsonNode value = field(object, name);
    if (value == null) {
      return Optional.empty();
    }
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      return Optional.of(value.longValue());
    }
    throw malformed(what + " must be an integer, not " + describe(value));
  }

  /**
   * A map of strings (Go's {@code map[string]string}): absent or null is empty, a null value is "".
   *
   * @param node the value, may be null
   * @param what its name in messages
   * @return the map, in the given order
   */
  public static Map<String, String> stringMap(JsonNode node, String what) {
    Map<String, String> map = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return map;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = object(node, what).fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> entry = fields.next();
      JsonNode value = entry.getValue();
      map.put(
          entry.getKey(),
          value.isNull()
              ? ""
              : string(value, what + "." + RequestTarget.printable(entry.getKey())));
    }
    return map;
  }

  /**
   * Names a JSON value's type for messages.
   *
   * @param node the value, may be null
   * @return e.g. "a number"
   */
  public static String describe(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "absent";
    }
    return switch (node.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT, POJO -> "an object";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      default -> "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  public static DaprApiException malformed(String message) {
    return new DaprApiException(DaprApiError.malformed(message));
  }
}
