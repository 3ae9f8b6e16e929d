package dev.pillion.server.spi;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
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
  private final Map<String, String> headers;
  private final Runnable afterSent;

  private HttpReply(int status, byte[] body, Map<String, String> headers, Runnable afterSent) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("an HTTP status must be 100..599, got " + status);
    }
    this.status = status;
    this.body = Objects.requireNonNull(body, "body");
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    this.afterSent = afterSent;
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
   * This reply, running an action once it has been handed to the connection (a shutdown, say, that
   * must not race its own answer).
   *
   * @param action what to run
   * @return a reply that runs the action
   */
  public HttpReply afterSent(Runnable action) {
    return new HttpReply(status, body, headers, Objects.requireNonNull(action, "action"));
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
   * The headers.
   *
   * @return an unmodifiable map, in the order given
   */
  public Map<String, String> headers() {
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
