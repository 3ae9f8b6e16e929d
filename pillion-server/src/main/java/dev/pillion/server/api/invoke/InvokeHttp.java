package dev.pillion.server.api.invoke;

import dev.pillion.invoke.InvalidMethodException;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.server.invoke.InvocationHeaders;
import dev.pillion.server.spi.HttpApiRequest;
import dev.pillion.server.spi.HttpReply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Service invocation over HTTP: {@code /v1.0/invoke/{appId}/method/{method...}} with any verb, and
 * any path carrying {@code dapr-app-id} (or HTTP Basic credentials whose user is {@code
 * dapr-app-id}), whose whole path is then the method. The request's verb, raw query string, headers
 * (filtered by {@link InvocationHeaders}), content type and body reach the app; its status,
 * headers, content type and body come back unchanged.
 */
final class InvokeHttp {
  private static final String BASIC = "Basic ";

  private final InvokeGateway gateway;

  InvokeHttp(InvokeGateway gateway) {
    this.gateway = gateway;
  }

  CompletionStage<HttpReply> invokeByPath(HttpApiRequest request) {
    return invoke(request, request.pathParameter("appId"), request.pathParameter("method"));
  }

  CompletionStage<HttpReply> invokeWithoutMethod(HttpApiRequest request) {
    return InvokeGateway.failed(
        InvokeGateway.invalid(
            "invalid method name: the path "
                + request.rawPath()
                + " names no method after /method/"));
  }

  CompletionStage<HttpReply> invokeWithoutAppId(HttpApiRequest request) {
    return InvokeGateway.failed(InvokeGateway.noAppId());
  }

  /** The app a request addresses by header or Basic credentials, when it does. */
  static Optional<String> headerTarget(HttpApiRequest request) {
    String header = request.header(InvocationHeaders.APP_ID).orElse("");
    if (!header.isEmpty()) {
      return Optional.of(header);
    }
    String authorization = request.header("Authorization").orElse("");
    if (!authorization.startsWith(BASIC)) {
      return Optional.empty();
    }
    try {
      String credentials =
          new String(
              Base64.getDecoder().decode(authorization.substring(BASIC.length())),
              StandardCharsets.UTF_8);
      String[] pair = credentials.split(":", -1);
      return pair.length == 2
              && pair[0].equalsIgnoreCase(InvocationHeaders.APP_ID)
              && !pair[1].isEmpty()
          ? Optional.of(pair[1])
          : Optional.empty();
    } catch (IllegalArgumentException e) {
      // Not Base64: daprd ignores such credentials too.
      return Optional.empty();
    }
  }

  CompletionStage<HttpReply> invokeByHeader(HttpApiRequest request, String target) {
    return invoke(request, target, String.join("/", request.segments()));
  }

  private CompletionStage<HttpReply> invoke(HttpApiRequest request, String target, String method) {
    InvocationRequest.Builder invocation;
    try {
      invocation = InvocationRequest.builder(method);
    } catch (InvalidMethodException e) {
      return InvokeGateway.failed(InvokeGateway.invalid("invalid method name: " + e.getMessage()));
    }
    invocation
        .verb(request.method())
        .query(request.rawQuery())
        .contentType(request.header("content-type").orElse(""))
        .body(request.body());
    Map<String, List<String>> headers = request.headers();
    InvocationHeaders.request(headers, invocation::header);
    if (!gateway.callerAppId().isEmpty() && !headers.containsKey(InvocationHeaders.CALLER_APP_ID)) {
      invocation.header(InvocationHeaders.CALLER_APP_ID, gateway.callerAppId());
    }
    return gateway.run(new InvokeCommand(target, invocation.build())).thenApply(InvokeHttp::reply);
  }

  private static HttpReply reply(InvocationResponse response) {
    Map<String, List<String>> headers = new LinkedHashMap<>(response.headers());
    if (!response.contentType().isEmpty()) {
      headers.put("content-type", new ArrayList<>(List.of(response.contentType())));
    }
    return HttpReply.withHeaderValues(response.status(), response.bodyBytes(), headers);
  }
}
