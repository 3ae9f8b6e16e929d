package dev.pillion.server.invoke;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Which headers an invocation carries from the caller to the app and back: all of them but the
 * hop-by-hop ones (they describe one connection, not the message), the body's framing ({@code
 * content-length}; {@code content-type} travels as the content type), and the Dapr API's own
 * ({@code dapr-api-token} must never reach another app, {@code dapr-app-id} only addressed the
 * call), as daprd filters them.
 */
public final class InvocationHeaders {
  /** Headers that describe one connection (RFC 9110 section 7.6.1), plus HTTP/2's. */
  private static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "proxy-authenticate",
          "proxy-authorization",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "http2-settings",
          "host",
          "expect",
          "content-length");

  /** The header carrying Dapr's API token. */
  public static final String API_TOKEN = "dapr-api-token";

  /** The header naming the target app in the header form of invocation. */
  public static final String APP_ID = "dapr-app-id";

  /** Set on the request the app receives: the calling app's id, as daprd sets it. */
  public static final String CALLER_APP_ID = "dapr-caller-app-id";

  /** Set on the request the app receives: the called app's id, as daprd sets it. */
  public static final String CALLEE_APP_ID = "dapr-callee-app-id";

  private static final Set<String> DAPR_ONLY = Set.of(API_TOKEN, APP_ID);

  private InvocationHeaders() {}

  /**
   * The caller's headers that go on to the app.
   *
   * @param headers the caller's headers
   * @param into receives each kept name (lower-cased) and value
   */
  public static void request(Map<String, List<String>> headers, BiConsumer<String, String> into) {
    headers.forEach(
        (name, values) -> {
          String lower = name.toLowerCase(Locale.ROOT);
          if (!HOP_BY_HOP.contains(lower)
              && !DAPR_ONLY.contains(lower)
              && !lower.equals("content-type")
              && !lower.startsWith(":")) {
            values.forEach(value -> into.accept(lower, value));
          }
        });
  }

  /**
   * The app's response headers that go back to the caller.
   *
   * @param headers the app's headers
   * @param into receives each kept name (lower-cased) and value
   */
  public static void response(Map<String, List<String>> headers, BiConsumer<String, String> into) {
    headers.forEach(
        (name, values) -> {
          String lower = name.toLowerCase(Locale.ROOT);
          if (!HOP_BY_HOP.contains(lower)
              && !lower.equals("content-type")
              && !lower.startsWith(":")) {
            values.forEach(value -> into.accept(lower, value));
          }
        });
  }
}
