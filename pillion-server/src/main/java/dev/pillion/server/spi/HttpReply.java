package dev.pillion.server.spi;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An HTTP API answer before it is written: status, body, headers, and what to do once it is sent.
 * Immutable, except that the body array is taken over, not copied: whoever builds a reply must not
 * change the array afterwards.
 */
public final class HttpReply {
  private final int status;
  private final byte[] body;
  private final Map<String, List<String>> headers;
  private final Runnable afterSent;

  private HttpReply(int status, byte[] body, Map<String, String> headers, Runnable afterSent) {
    this(status, body, afterSent, singleValued(headers));
  }

  private HttpReply(
      int status, byte[] body, Runnable afterSent, Map<String, List<String>> headerValues) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("an HTTP status must be 100..599, got " + status);
    }
    this.status = status;
    this.body = Objects.requireNonNull(body, "body");
    Map<String, List<String>> copy = new LinkedHashMap<>();
    headerValues.forEach((name, values) -> copy.put(name, List.copyOf(values)));
    this.headers = Collections.unmodifiableMap(copy);
    this.afterSent = afterSent;
  }

  private static Map<String, List<String>> singleValued(Map<String, String> headers) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    headers.forEach((name, value) -> values.put(name, List.of(value)));
    return values;
  }

  /**
   * A reply with no body.
   *
   * @param status the status, e.g. 204
   * @return the reply
   */
  public static HttpReply empty(int status) {
    return new HttpReply(status, new byte[0], Map.of(), () -> {});
  }

  /**
   * A JSON reply ({@code Content-Type: application/json}).
   *
   * @param status the status
   * @param body the body
   * @return the reply
   */
  public static HttpReply json(int status, JsonNode body) {
    return new HttpReply(
        status,
        body.toString().getBytes(StandardCharsets.UTF_8),
        Map.of("Content-Type", "application/json"),
        () -> {});
  }

  /**
   * A reply with any body and headers.
   *
   * @param status the status
   * @param body the body (taken over, not copied)
   * @param headers the headers; a value HTTP does not allow turns the reply into a 500 naming the
   *     header when it is written
   * @return the reply
   */
  public static HttpReply of(int status, byte[] body, Map<String, String> headers) {
    return new HttpReply(status, body, headers, () -> {});
  }

  /**
   * A reply with any body and headers of several values each (an app's answer passed through,
   * {@code set-cookie} and all).
   *
   * @param status the status
   * @param body the body (taken over, not copied)
   * @param headers each header with its values, in order
   * @return the reply
   */
  public static HttpReply withHeaderValues(
      int status, byte[] body, Map<String, List<String>> headers) {
    return new HttpReply(status, body, () -> {}, headers);
  }

  /**
   * This reply, running an action once it has been handed to the connection (a shutdown, say, that
   * must not race its own answer).
   *
   * @param action what to run
   * @return a reply that runs the action
   */
  public HttpReply afterSent(Runnable action) {
    return new HttpReply(status, body, Objects.requireNonNull(action, "action"), headers);
  }

  /**
   * The status.
   *
   * @return e.g. 200
   */
  public int status() {
    return status;
  }

  /**
   * The body, as given (not copied).
   *
   * @return the body
   */
  public byte[] body() {
    return body;
  }

  /**
   * The headers, each with its first value.
   *
   * @return an unmodifiable map, in the order given
   */
  public Map<String, String> headers() {
    Map<String, String> first = new LinkedHashMap<>();
    headers.forEach((name, values) -> first.put(name, values.isEmpty() ? "" : values.get(0)));
    return Collections.unmodifiableMap(first);
  }

  /**
   * The headers with all their values.
   *
   * @return an unmodifiable map, in the order given
   */
  public Map<String, List<String>> headerValues() {
    return headers;
  }

  /**
   * What runs once the reply is sent.
   *
   * @return the action; does nothing unless set
   */
  public Runnable afterSent() {
    return afterSent;
  }
}
