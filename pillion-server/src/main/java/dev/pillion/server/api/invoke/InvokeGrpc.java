package dev.pillion.server.api.invoke;

import com.google.protobuf.Any;
import com.google.protobuf.UnsafeByteOperations;
import dev.pillion.invoke.InvalidMethodException;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.invoke.InvocationHeaders;
import dev.pillion.server.spi.GrpcHeaders;
import io.dapr.v1.CommonProtos.HTTPExtension;
import io.dapr.v1.CommonProtos.InvokeRequest;
import io.dapr.v1.CommonProtos.InvokeResponse;
import io.dapr.v1.DaprInvokeProtos.InvokeServiceRequest;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;

/**
 * Service invocation over gRPC, {@code InvokeService}: the HTTP extension gives the verb ({@code
 * POST} when it names none) and query string; the call's metadata become the app's headers. A 2xx
 * answer is the response's data and content type; any other status is a gRPC error whose code is
 * daprd's mapping of the HTTP status and whose message is the app's body.
 */
final class InvokeGrpc {
  private final InvokeGateway gateway;

  InvokeGrpc(InvokeGateway gateway) {
    this.gateway = gateway;
  }

  CompletionStage<InvokeResponse> invokeService(InvokeServiceRequest request) {
    InvokeRequest message = request.getMessage();
    if (request.getId().isEmpty()) {
      return InvokeGateway.failed(InvokeGateway.noAppId());
    }
    InvocationRequest.Builder invocation;
    try {
      invocation = InvocationRequest.builder(message.getMethod());
    } catch (InvalidMethodException e) {
      return InvokeGateway.failed(InvokeGateway.invalid("invalid method name: " + e.getMessage()));
    }
    HTTPExtension.Verb verb = message.getHttpExtension().getVerb();
    invocation
        .verb(
            verb == HTTPExtension.Verb.NONE || verb == HTTPExtension.Verb.UNRECOGNIZED
                ? "POST"
                : verb.name())
        .query(message.getHttpExtension().getQuerystring())
        .contentType(message.getContentType())
        .body(message.getData().getValue().toByteArray());
    InvocationHeaders.request(GrpcHeaders.all(), invocation::header);
    if (!gateway.callerAppId().isEmpty()) {
      invocation.header(InvocationHeaders.CALLER_APP_ID, gateway.callerAppId());
    }
    String target = request.getId();
    return gateway
        .run(new InvokeCommand(target, invocation.build()))
        .thenApply(response -> answer(target, response));
  }

  private static InvokeResponse answer(String target, InvocationResponse response) {
    if (response.status() < 200 || response.status() > 299) {
      throw new dev.pillion.server.DaprApiException(
          new DaprApiError(
              response.status(),
              InvokeGateway.ERR_DIRECT_INVOKE,
              codeFromHttpStatus(response.status()),
              InvokeGateway.ERR_DIRECT_INVOKE,
              "app '"
                  + target
                  + "' answered HTTP "
                  + response.status()
                  + ": "
                  + new String(response.bodyBytes(), StandardCharsets.UTF_8)));
    }
    return InvokeResponse.newBuilder()
        .setData(Any.newBuilder().setValue(UnsafeByteOperations.unsafeWrap(response.body())))
        .setContentType(response.contentType())
        .build();
  }

  /** daprd's mapping of an app's HTTP status to a gRPC code (invokev1.CodeFromHTTPStatus). */
  static Status.Code codeFromHttpStatus(int status) {
    return switch (status) {
      case 200 -> Status.Code.OK;
      case 400 -> Status.Code.INVALID_ARGUMENT;
      case 401 -> Status.Code.UNAUTHENTICATED;
      case 403 -> Status.Code.PERMISSION_DENIED;
      case 404 -> Status.Code.NOT_FOUND;
      case 408, 504 -> Status.Code.DEADLINE_EXCEEDED;
      case 409 -> Status.Code.ABORTED;
      case 412 -> Status.Code.FAILED_PRECONDITION;
      case 416 -> Status.Code.OUT_OF_RANGE;
      case 429 -> Status.Code.RESOURCE_EXHAUSTED;
      case 499 -> Status.Code.CANCELLED;
      case 500 -> Status.Code.INTERNAL;
      case 501 -> Status.Code.UNIMPLEMENTED;
      case 503 -> Status.Code.UNAVAILABLE;
      default -> Status.Code.UNKNOWN;
    };
  }
}
