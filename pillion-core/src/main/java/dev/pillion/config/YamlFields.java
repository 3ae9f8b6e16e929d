package dev.pillion.config;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed reads of the fields of a parsed resource document (SnakeYAML's maps, lists and scalars),
 * each refusal a {@link ComponentConfigException} naming where ({@code at}: the file, document and
 * resource) and the field. Used by every reader of a Dapr resource kind.
 */
public final class YamlFields {
  private YamlFields() {}

  /**
   * Refuses fields a resource does not have.
   *
   * @param map the mapping
   * @param known its field names
   * @param at where the mapping is, for messages
   * @param prefix the mapping's path, e.g. {@code spec.}
   * @throws ComponentConfigException naming the first unknown field
   */
  public static void unknownFields(Map<?, ?> map, Set<String> known, String at, String prefix) {
    for (Object key : map.keySet()) {
      if (!known.contains(String.valueOf(key))) {
        throw new ComponentConfigException(
            at
                + ": unknown field '"
                + prefix
                + key
                + "' (expected one of "
                + new TreeSet<>(known)
                + ")");
      }
    }
  }

  /**
   * A mapping.
   *
   * @param value the field's value
   * @param at where, for messages
   * @param field the field's path
   * @return the mapping
   * @throws ComponentConfigException when missing or not a mapping
   */
  public static Map<?, ?> map(Object value, String at, String field) {
    if (value instanceof Map<?, ?> map) {
      return map;
    }
    throw new ComponentConfigException(
        at
            + ": "
            + field
            + (value == null ? " is missing" : " must be a mapping, got " + describe(value)));
  }

  /**
   * A non-empty single value.
   *
   * @param value the field's value
   * @param at where, for messages
   * @param field the field's path
   * @return the value as text
   * @throws ComponentConfigException when missing, empty or not a single value
   */
  public static String string(Object value, String at, String field) {
    if (value == null) {
      throw new ComponentConfigException(at + ": " + field + " is missing");
    }
    String text = scalar(value, at, field);
    if (text.isEmpty()) {
      throw new ComponentConfigException(at + ": " + field + " is empty");
    }
    return text;
  }

  /**
   * A single value, possibly empty.
   *
   * @param value the field's value (not null)
   * @param at where, for messages
   * @param field the field's path
   * @return the value as text
   * @throws ComponentConfigException when it is a list or a mapping
   */
  public static String scalar(Object value, String at, String field) {
    if (value instanceof Map || value instanceof List) {
      throw new ComponentConfigException(
          at + ": " + field + " must be a single value, got " + describe(value));
    }
    return String.valueOf(value);
  }

  /**
   * A list of single values; absent is empty.
   *
   * @param value the field's value, or null
   * @param at where, for messages
   * @param field the field's path
   * @return the values as text
   * @throws ComponentConfigException when it is not a list of single values
   */
  public static List<String> strings(Object value, String at, String field) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      throw new ComponentConfigException(
          at + ": " + field + " must be a list, got " + describe(value));
    }
    return list.stream().map(item -> scalar(item, at, field)).toList();
  }

  /**
   * A boolean written as {@code true} or {@code false}; absent is false.
   *
   * @param value the field's value, or null
   * @param at where, for messages
   * @param field the field's path
   * @return the value
   * @throws ComponentConfigException when it is anything else
   */
  public static boolean bool(Object value, String at, String field) {
    if (value == null) {
      return false;
    }
    if (!(value instanceof Boolean) && !"true".equals(value) && !"false".equals(value)) {
      throw new ComponentConfigException(
          at + ": " + field + " must be true or false, got " + describe(value));
    }
    return Boolean.parseBoolean(value.toString());
  }

  /**
   * A whole number; absent is 0.
   *
   * @param value the field's value, or null
   * @param at where, for messages
   * @param field the field's path
   * @return the number
   * @throws ComponentConfigException when it is not a whole number
   */
  public static long integer(Object value, String at, String field) {
    if (value == null) {
      return 0;
    }
    if (value instanceof Integer || value instanceof Long) {
      return ((Number) value).longValue();
    }
    if (value instanceof String text && text.matches("-?[0-9]{1,18}")) {
      return Long.parseLong(text);
    }
    throw new ComponentConfigException(
        at + ": " + field + " must be a whole number, got " + describe(value));
  }

  /**
   * A value as an error message shows it: collections by kind (printing one could be huge, as
   * aliases can share a node many times over), scalars quoted and cut at 200 characters.
   *
   * @param value the value
   * @return its description
   */
  public static String describe(Object value) {
    if (value instanceof Map) {
      return "a mapping";
    }
    if (value instanceof Collection) {
      return "a list";
    }
    if (value instanceof byte[] bytes) {
      return "binary data (" + bytes.length + " bytes)";
    }
    String text = String.valueOf(value);
    return "'" + (text.length() > 200 ? text.substring(0, 200) + "...'" : text + "'");
  }
}
