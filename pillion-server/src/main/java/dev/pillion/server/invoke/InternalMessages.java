package dev.pillion.server.invoke;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.server.internals.v1.ApiVersionProtos.APIVersion;
import dev.pillion.server.internals.v1.InternalStatusProtos.Status;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequest;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponse;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.ListStringValue;
import io.dapr.v1.CommonProtos.HTTPExtension;
import io.dapr.v1.CommonProtos.InvokeRequest;
import io.dapr.v1.CommonProtos.InvokeResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Invocations as Dapr's internal protocol carries them between runtimes, with daprd's mapping: the
 * caller's headers in {@code metadata}, the method, body ({@code data.value}), content type, verb
 * and query string in {@code message}; the app's HTTP status in {@code status.code}, its headers in
 * {@code headers}, its body and content type in {@code message}.
 */
public final class InternalMessages {
  private InternalMessages() {}

  /**
   * The internal request for an invocation.
   *
   * @param request the invocation
   * @return the message
   * @throws IllegalArgumentException when the verb is not one Dapr's protocol can carry
   */
  public static InternalInvokeRequest toInternal(InvocationRequest request) {
    InternalInvokeRequest.Builder internal =
        InternalInvokeRequest.newBuilder().setVer(APIVersion.V1);
    request
        .headers()
        .forEach(
            (name, values) ->
                internal.putMetadata(
                    name, ListStringValue.newBuilder().addAllValues(values).build()));
    internal.setMessage(
        InvokeRequest.newBuilder()
            .setMethod(request.method())
            .setData(Any.newBuilder().setValue(bytes(request.body())))
            .setContentType(request.contentType())
            .setHttpExtension(
                HTTPExtension.newBuilder()
                    .setVerb(verb(request.verb()))
                    .setQuerystring(request.query())));
    return internal.build();
  }

  /**
   * The invocation an internal request carries.
   *
   * @param internal the message
   * @return the invocation; verb {@code POST} when the message names none
   * @throws dev.pillion.invoke.InvalidMethodException when the method is not valid
   */
  public static InvocationRequest fromInternal(InternalInvokeRequest internal) {
    InvokeRequest message = internal.getMessage();
    HTTPExtension.Verb verb = message.getHttpExtension().getVerb();
    InvocationRequest.Builder request =
        InvocationRequest.builder(message.getMethod())
            .verb(
                verb == HTTPExtension.Verb.NONE || verb == HTTPExtension.Verb.UNRECOGNIZED
                    ? "POST"
                    : verb.name())
            .query(message.getHttpExtension().getQuerystring())
            .contentType(message.getContentType())
            .body(message.getData().getValue().toByteArray());
    Map<String, List<String>> metadata =
        internal.getMetadataMap().entrySet().stream()
            .collect(
                java.util.stream.Collectors.toMap(
                    Map.Entry::getKey,
                    e -> (List<String>) e.getValue().getValuesList(),
                    (a, b) -> a,
                    java.util.LinkedHashMap::new));
    InvocationHeaders.request(metadata, request::header);
    return request.build();
  }

  /**
   * The internal response for an app's answer.
   *
   * @param response the answer
   * @return the message
   */
  public static InternalInvokeResponse toInternal(InvocationResponse response) {
    InternalInvokeResponse.Builder internal =
        InternalInvokeResponse.newBuilder()
            .setStatus(Status.newBuilder().setCode(response.status()));
    response
        .headers()
        .forEach(
            (name, values) ->
                internal.putHeaders(
                    name, ListStringValue.newBuilder().addAllValues(values).build()));
    internal.setMessage(
        InvokeResponse.newBuilder()
            .setData(Any.newBuilder().setValue(bytes(response.body())))
            .setContentType(response.contentType()));
    return internal.build();
  }

  /**
   * The app's answer an internal response carries.
   *
   * @param internal the message
   * @return the answer
   * @throws IllegalArgumentException when the status is not an HTTP status
   */
  public static InvocationResponse fromInternal(InternalInvokeResponse internal) {
    int code = internal.getStatus().getCode();
    InvocationResponse.Builder response =
        InvocationResponse.builder()
            .status(code)
            .contentType(internal.getMessage().getContentType())
            .body(internal.getMessage().getData().getValue().toByteArray());
    internal
        .getHeadersMap()
        .forEach((name, values) -> values.getValuesList().forEach(v -> response.header(name, v)));
    return response.build();
  }

  /**
   * The protocol's verb for an HTTP method.
   *
   * @param method e.g. {@code GET}
   * @return the verb
   * @throws IllegalArgumentException for a method Dapr's protocol cannot carry
   */
  public static HTTPExtension.Verb verb(String method) {
    try {
      HTTPExtension.Verb verb = HTTPExtension.Verb.valueOf(method.toUpperCase(Locale.ROOT));
      if (verb == HTTPExtension.Verb.NONE || verb == HTTPExtension.Verb.UNRECOGNIZED) {
        throw new IllegalArgumentException(method);
      }
      return verb;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the HTTP method '"
              + method
              + "' cannot be invoked (Dapr's invocation carries GET, HEAD, POST, PUT, DELETE,"
              + " CONNECT, OPTIONS, TRACE and PATCH)",
          e);
    }
  }

  private static ByteString bytes(java.nio.ByteBuffer body) {
    // The invocation's body is immutable, so the message may share it instead of copying it.
    return UnsafeByteOperations.unsafeWrap(body);
  }
}
