package dev.pillion.server.invoke;

import dev.pillion.invoke.AppUnreachableException;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.invoke.spi.AppInvoker;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The HTTP app channel of invocation: each invocation becomes a request to the app's {@code
 * /<method>} with the caller's verb, query string, headers (filtered by {@link InvocationHeaders}),
 * content type and body, plus {@code dapr-caller-app-id} and {@code dapr-callee-app-id} where
 * known; the app's status, headers and body come back unchanged.
 */
public final class HttpAppInvoker implements AppInvoker {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

  private final String appId;
  private final String base;
  private final int port;
  private final HttpClient client;

  private HttpAppInvoker(String appId, String host, int port) {
    this.appId = appId;
    this.port = port;
    this.base = "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port + "/";
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /**
   * The app channel of an app on a port.
   *
   * @param appId the app's id, for {@code dapr-callee-app-id} and messages
   * @param host the app's host, {@code 127.0.0.1} for an app next to its runtime
   * @param port the app's port
   * @return the app channel
   */
  public static HttpAppInvoker create(String appId, String host, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("app port must be 1..65535, got " + port);
    }
    return new HttpAppInvoker(
        Objects.requireNonNull(appId, "appId"), Objects.requireNonNull(host, "host"), port);
  }

  @Override
  public CompletionStage<InvocationResponse> invoke(InvocationRequest request) {
    HttpRequest.Builder http =
        HttpRequest.newBuilder(
            URI.create(
                base
                    + encodePath(request.method())
                    + (request.query().isEmpty() ? "" : "?" + request.query())));
    InvocationHeaders.request(request.headers(), http::header);
    if (!request.contentType().isEmpty()) {
      http.header("content-type", request.contentType());
    }
    if (!appId.isEmpty() && request.header(InvocationHeaders.CALLEE_APP_ID).isEmpty()) {
      http.header(InvocationHeaders.CALLEE_APP_ID, appId);
    }
    http.method(
        request.verb(),
        request.bodyLength() == 0
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(request.bodyBytes()));
    try {
      return client
          .sendAsync(http.build(), HttpResponse.BodyHandlers.ofByteArray())
          .handle(
              (response, failure) -> {
                if (failure != null) {
                  throw new CompletionException(unreachable(failure));
                }
                return answer(response);
              });
    } catch (IllegalArgumentException e) {
      // A header the JDK's client will not send (a restricted name or an invalid value).
      return CompletableFuture.failedFuture(
          new AppUnreachableException(
              appId, "cannot send the invocation to app '" + appId + "': " + e.getMessage(), e));
    }
  }

  private static InvocationResponse answer(HttpResponse<byte[]> response) {
    InvocationResponse.Builder answer = InvocationResponse.builder().status(response.statusCode());
    InvocationHeaders.response(response.headers().map(), answer::header);
    response.headers().firstValue("content-type").ifPresent(answer::contentType);
    return answer.body(response.body()).build();
  }

  private AppUnreachableException unreachable(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String why =
        cause instanceof ConnectException
            ? "the app does not accept connections on port " + port
            : "the app on port " + port + " failed the call: " + cause;
    return new AppUnreachableException(appId, "cannot invoke app '" + appId + "': " + why, cause);
  }

  /** Percent-encodes each segment of a decoded method path (RFC 3986 pchar kept as is). */
  static String encodePath(String method) {
    StringBuilder out = new StringBuilder(method.length() + 8);
    byte[] bytes = method.getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c == '/' || isPchar(c)) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        out.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  private static boolean isPchar(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "-._~!$&'()*+,;=:@".indexOf(c) >= 0;
  }
}
