package dev.pillion.server.http;

import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The target of a request: its path split on {@code /} into segments, each percent-decoded exactly
 * once (so {@code a%2Fb} is one segment {@code a/b} and {@code a%2520b} is {@code a%20b}), and its
 * query parameters. Anything that cannot be decoded (a bad escape, bytes that are not UTF-8, a raw
 * control character) is a 400 naming the part, never a guess.
 *
 * @param rawPath the path as sent, for messages
 * @param segments the decoded non-empty segments
 * @param parameters the decoded query parameters, in order, each with all its values
 * @param rawQuery the query string as sent, without {@code ?}
 */
public record RequestTarget(
    String rawPath, List<String> segments, Map<String, List<String>> parameters, String rawQuery) {

  /**
   * Parses a request target as Netty decoded it from the request line (one char per byte).
   *
   * @param uri the request target
   * @return the parsed target
   * @throws DaprApiException ERR_MALFORMED_REQUEST when it cannot be decoded
   */
  static RequestTarget parse(String uri) {
    String target = uri;
    // The absolute form (http://host/path), which HTTP/1.1 servers must accept.
    int scheme = target.indexOf("://");
    if (scheme > 0 && target.regionMatches(true, 0, "http", 0, 4) && scheme <= 5) {
      int pathStart = target.indexOf('/', scheme + 3);
      target = pathStart < 0 ? "/" : target.substring(pathStart);
    }
    int question = target.indexOf('?');
    String rawPath = question < 0 ? target : target.substring(0, question);
    String query = question < 0 ? "" : target.substring(question + 1);
    List<String> segments = new ArrayList<>();
    int start = 0;
    while (start <= rawPath.length()) {
      int slash = rawPath.indexOf('/', start);
      int end = slash < 0 ? rawPath.length() : slash;
      if (end > start) {
        String raw = rawPath.substring(start, end);
        segments.add(decode(raw, false, "the path segment '" + printable(raw) + "'"));
      }
      start = end + 1;
    }
    return new RequestTarget(
        rawPath, Collections.unmodifiableList(segments), parseQuery(query), query);
  }

  private static Map<String, List<String>> parseQuery(String query) {
    if (query.isEmpty()) {
      return Map.of();
    }
    Map<String, List<String>> parameters = new LinkedHashMap<>();
    for (String pair : query.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      String rawName = equals < 0 ? pair : pair.substring(0, equals);
      String rawValue = equals < 0 ? "" : pair.substring(equals + 1);
      String what = "the query parameter '" + printable(rawName) + "'";
      String name = decode(rawName, true, what);
      String value = decode(rawValue, true, what);
      parameters.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
    return parameters;
  }

  /**
   * The first value of a query parameter.
   *
   * @param name the parameter
   * @return its first value, or "" when absent
   */
  String parameter(String name) {
    List<String> values = parameters.get(name);
    return values == null || values.isEmpty() ? "" : values.get(0);
  }

  /**
   * Percent-decodes once: {@code %XX} is a byte, other characters stand for themselves (raw bytes
   * of the request line, which Netty hands over as chars 0-255); the bytes must form UTF-8.
   */
  static String decode(String raw, boolean plusIsSpace, String what) {
    boolean plain = true;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' || c >= 0x80 || plusIsSpace && c == '+') {
        plain = false;
      }
      if (c < 0x20 || c == 0x7f) {
        throw malformed(what + " contains a control character (0x" + Integer.toHexString(c) + ")");
      }
    }
    if (plain) {
      return raw;
    }
    byte[] bytes = new byte[raw.length()];
    int length = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        int high = i + 1 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
        int low = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 2), 16) : -1;
        if (high < 0 || low < 0) {
          String escape = raw.substring(i, Math.min(raw.length(), i + 3));
          throw malformed(what + " has an invalid percent-escape '" + printable(escape) + "'");
        }
        bytes[length++] = (byte) (high << 4 | low);
        i += 2;
      } else if (plusIsSpace && c == '+') {
        bytes[length++] = ' ';
      } else if (c > 0xff) {
        throw malformed(what + " contains a character that is not a byte");
      } else {
        bytes[length++] = (byte) c;
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, length))
          .toString();
    } catch (CharacterCodingException e) {
      throw malformed(what + " does not decode to UTF-8 text");
    }
  }

  /**
   * Shows untrusted text in a message: control characters escaped, long text cut.
   *
   * @param text the text, as received
   * @return the text to put in a message
   */
  public static String printable(String text) {
    StringBuilder out = new StringBuilder();
    int limit = Math.min(text.length(), 200);
    for (int i = 0; i < limit; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (text.length() > limit) {
      out.append("...");
    }
    return out.toString();
  }

  private static DaprApiException malformed(String message) {
    return new DaprApiException(DaprApiError.malformed(message));
  }
}
