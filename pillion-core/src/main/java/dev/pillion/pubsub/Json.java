package dev.pillion.pubsub;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON the CloudEvent envelope needs, and nothing more: a strict RFC 8259 reader into plain
 * values and a compact writer. Pillion's core keeps its own (docs/decisions.md, "The core reads
 * CloudEvents with its own JSON codec") so that the embedded API does not carry Jackson.
 *
 * <p>Values: an object is a {@code Map<String, Object>} in document order (a repeated name keeps
 * its first position and its last value, as Jackson's tree and Go's decoder do), an array a {@code
 * List<Object>}, a string a {@link String}, a number a {@link Number} (its text as written, so
 * nothing is rounded on the way through; a {@link java.lang.Number} outside the package), {@link
 * Boolean}, and {@link #NULL}.
 */
final class Json {
  /** JSON's {@code null}, distinct from an absent field. */
  static final Object NULL = Null.NULL;

  /** Deeper nesting is refused rather than risking the reader's stack (Jackson's limit too). */
  static final int MAX_DEPTH = 1000;

  private enum Null {
    NULL;

    @Override
    public String toString() {
      return "null";
    }
  }

  /**
   * A JSON number as written: a {@link java.lang.Number} whose {@link #toString()} is its text, so
   * nothing is rounded on the way through, and whose {@link #doubleValue()} is what Jackson's tree
   * and Go's decoder read (an integer as the nearest double of the integer, anything else as the
   * nearest double of the decimal).
   */
  static final class Number extends java.lang.Number {
    private static final long serialVersionUID = 1L;

    private final String text;

    /**
     * A number.
     *
     * @param text its text, valid by JSON's grammar
     */
    Number(String text) {
      this.text = text;
    }

    /** Its text as written. */
    String text() {
      return text;
    }

    /** Whether it has neither fraction nor exponent. */
    boolean integral() {
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '.' || c == 'e' || c == 'E') {
          return false;
        }
      }
      return true;
    }

    /** Its value as a long (the low 64 bits of a larger integer; a fraction truncated). */
    @Override
    public long longValue() {
      return integral() ? new BigInteger(text).longValue() : (long) doubleValue();
    }

    @Override
    public int intValue() {
      return (int) longValue();
    }

    @Override
    public float floatValue() {
      return (float) doubleValue();
    }

    /**
     * Its value as a double. An integer goes through {@link BigInteger}, so {@code -0} is the
     * integer 0 (as Jackson's and Go's readers have it) rather than the double -0.0.
     */
    @Override
    public double doubleValue() {
      return integral() ? new BigInteger(text).doubleValue() : Double.parseDouble(text);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Number number && number.text.equals(text);
    }

    @Override
    public int hashCode() {
      return text.hashCode();
    }

    @Override
    public String toString() {
      return text;
    }
  }

  /** Bytes that are not the JSON expected, with where the reader stopped. */
  static final class MalformedJsonException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedJsonException(String message, int offset) {
      super(message + " at byte " + offset);
    }
  }

  private Json() {}

  /**
   * Reads a document: one value with nothing but whitespace around it.
   *
   * @param bytes UTF-8 JSON
   * @return the value
   * @throws MalformedJsonException when the bytes are not exactly one JSON value
   */
  static Object parse(byte[] bytes) throws MalformedJsonException {
    Reader reader = new Reader(bytes);
    reader.skipWhitespace();
    Object value = reader.value(0);
    reader.skipWhitespace();
    if (!reader.atEnd()) {
      throw reader.error("unexpected content after the JSON value");
    }
    return value;
  }

  /**
   * Whether the bytes are exactly one JSON value.
   *
   * @param bytes the bytes
   * @return true for a JSON document
   */
  static boolean isDocument(byte[] bytes) {
    try {
      parse(bytes);
      return true;
    } catch (MalformedJsonException e) {
      return false;
    }
  }

  /**
   * A field's text as Jackson's {@code asText()} gives it: a string as is, a number or boolean as
   * written, null as {@code "null"}, an object or array (or an absent field) as empty.
   */
  static String text(Object value) {
    if (value instanceof String string) {
      return string;
    }
    if (value instanceof Number number) {
      return number.text();
    }
    if (value instanceof Boolean bool) {
      return bool.toString();
    }
    return value == NULL ? "null" : "";
  }

  /** {@link #text(Object)}, with {@code fallback} for an absent or null field. */
  static String text(Object value, String fallback) {
    return value == null || value == NULL ? fallback : text(value);
  }

  /**
   * Writes a value compactly.
   *
   * @param value a value as {@link #parse} returns them
   * @return its JSON text
   */
  static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  /**
   * Writes a value compactly as UTF-8.
   *
   * @param value a value as {@link #parse} returns them
   * @return its JSON bytes
   */
  static byte[] writeBytes(Object value) {
    return write(value).getBytes(StandardCharsets.UTF_8);
  }

  private static void write(Object value, StringBuilder out) {
    if (value instanceof String string) {
      writeString(string, out);
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> field : map.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        writeString((String) field.getKey(), out);
        out.append(':');
        write(field.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(list.get(i), out);
      }
      out.append(']');
    } else if (value instanceof Number number) {
      out.append(number.text());
    } else if (value instanceof Boolean bool) {
      out.append(bool.booleanValue());
    } else if (value == NULL) {
      out.append("null");
    } else {
      throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
    }
  }

  private static void writeString(String string, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < string.length(); i++) {
      char c = string.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(hex(c & 0xF));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static char hex(int digit) {
    return Character.toUpperCase(Character.forDigit(digit, 16));
  }

  /**
   * A top-level object read field by field, for callers that need where a field's value lies in the
   * bytes.
   */
  static final class Reader {
    private final byte[] bytes;
    private int position;

    /**
     * Reads {@code bytes} from their start.
     *
     * @param bytes UTF-8 JSON
     */
    Reader(byte[] bytes) {
      this.bytes = bytes;
    }

    /** Where the reader is. */
    int position() {
      return position;
    }

    /** Whether only the end is left. */
    boolean atEnd() {
      return position == bytes.length;
    }

    /** Consumes {@code expected} after whitespace, or reports that it is not there. */
    boolean consume(char expected) {
      skipWhitespace();
      if (position < bytes.length && bytes[position] == expected) {
        position++;
        return true;
      }
      return false;
    }

    /** Reads an object member's name and its colon. */
    String fieldName() throws MalformedJsonException {
      skipWhitespace();
      if (position >= bytes.length || bytes[position] != '"') {
        throw error("expected a field name");
      }
      String name = string();
      if (!consume(':')) {
        throw error("expected ':'");
      }
      skipWhitespace();
      return name;
    }

    void skipWhitespace() {
      while (position < bytes.length) {
        byte b = bytes[position];
        if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
          return;
        }
        position++;
      }
    }

    MalformedJsonException error(String message) {
      return new MalformedJsonException(message, position);
    }

    /** Reads a value that starts at the current position (whitespace already skipped). */
    Object value(int depth) throws MalformedJsonException {
      if (position >= bytes.length) {
        throw error("unexpected end of JSON");
      }
      byte b = bytes[position];
      return switch (b) {
        case '{' -> object(depth + 1);
        case '[' -> array(depth + 1);
        case '"' -> string();
        case 't' -> literal("true", Boolean.TRUE);
        case 'f' -> literal("false", Boolean.FALSE);
        case 'n' -> literal("null", NULL);
        default -> {
          if (b == '-' || (b >= '0' && b <= '9')) {
            yield number();
          }
          throw error("unexpected character '" + printable(b) + "'");
        }
      };
    }

    private Map<String, Object> object(int depth) throws MalformedJsonException {
      checkDepth(depth);
      position++;
      Map<String, Object> map = new LinkedHashMap<>();
      if (consume('}')) {
        return map;
      }
      do {
        String name = fieldName();
        map.put(name, value(depth));
      } while (consume(','));
      if (!consume('}')) {
        throw error("expected ',' or '}'");
      }
      return map;
    }

    private List<Object> array(int depth) throws MalformedJsonException {
      checkDepth(depth);
      position++;
      List<Object> list = new ArrayList<>();
      if (consume(']')) {
        return list;
      }
      do {
        skipWhitespace();
        list.add(value(depth));
      } while (consume(','));
      if (!consume(']')) {
        throw error("expected ',' or ']'");
      }
      return list;
    }

    private void checkDepth(int depth) throws MalformedJsonException {
      if (depth > MAX_DEPTH) {
        throw error("nesting deeper than " + MAX_DEPTH);
      }
    }

    private Object literal(String word, Object value) throws MalformedJsonException {
      int end = position + word.length();
      if (end > bytes.length) {
        throw error("unexpected end of JSON");
      }
      for (int i = 0; i < word.length(); i++) {
        if (bytes[position + i] != word.charAt(i)) {
          throw error("unexpected literal");
        }
      }
      position = end;
      return value;
    }

    private Number number() throws MalformedJsonException {
      int start = position;
      if (bytes[position] == '-') {
        position++;
      }
      if (position < bytes.length && bytes[position] == '0') {
        position++;
      } else if (digits() == 0) {
        throw error("expected a digit");
      }
      if (position < bytes.length && bytes[position] == '.') {
        position++;
        if (digits() == 0) {
          throw error("expected a digit after '.'");
        }
      }
      if (position < bytes.length && (bytes[position] == 'e' || bytes[position] == 'E')) {
        position++;
        if (position < bytes.length && (bytes[position] == '+' || bytes[position] == '-')) {
          position++;
        }
        if (digits() == 0) {
          throw error("expected a digit in the exponent");
        }
      }
      return new Number(new String(bytes, start, position - start, StandardCharsets.US_ASCII));
    }

    private int digits() {
      int start = position;
      while (position < bytes.length && bytes[position] >= '0' && bytes[position] <= '9') {
        position++;
      }
      return position - start;
    }

    private String string() throws MalformedJsonException {
      position++; // the opening quote
      int runStart = position;
      StringBuilder escaped = null;
      while (true) {
        if (position >= bytes.length) {
          throw error("unterminated string");
        }
        byte b = bytes[position];
        if (b == '"') {
          String run = new String(bytes, runStart, position - runStart, StandardCharsets.UTF_8);
          position++;
          return escaped == null ? run : escaped.append(run).toString();
        }
        if (b == '\\') {
          if (escaped == null) {
            escaped = new StringBuilder();
          }
          escaped.append(new String(bytes, runStart, position - runStart, StandardCharsets.UTF_8));
          position++;
          escaped.append(escape());
          runStart = position;
        } else if (b >= 0 && b < 0x20) {
          throw error("control character in a string");
        } else {
          position++;
        }
      }
    }

    private char escape() throws MalformedJsonException {
      if (position >= bytes.length) {
        throw error("unterminated string");
      }
      byte b = bytes[position++];
      return switch (b) {
        case '"' -> '"';
        case '\\' -> '\\';
        case '/' -> '/';
        case 'b' -> '\b';
        case 'f' -> '\f';
        case 'n' -> '\n';
        case 'r' -> '\r';
        case 't' -> '\t';
        case 'u' -> unicodeEscape();
        default -> {
          position--;
          throw error("invalid escape '\\" + printable(b) + "'");
        }
      };
    }

    private char unicodeEscape() throws MalformedJsonException {
      if (position + 4 > bytes.length) {
        throw error("unterminated \\u escape");
      }
      int code = 0;
      for (int i = 0; i < 4; i++) {
        int digit = Character.digit(bytes[position + i], 16);
        if (digit < 0) {
          throw error("invalid \\u escape");
        }
        code = code * 16 + digit;
      }
      position += 4;
      return (char) code;
    }

    private static String printable(byte b) {
      return b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xFF);
    }
  }
}
