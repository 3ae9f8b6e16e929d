package dev.pillion.server.api.invoke;

import dev.pillion.invoke.AppUnreachableException;
import dev.pillion.invoke.InvalidMethodException;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.invoke.InvocationService;
import dev.pillion.invoke.resolution.NameResolutionException;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * Runs invocations through the runtime's {@link InvocationService} and turns its failures into
 * daprd's errors: {@code ERR_DIRECT_INVOKE} with 500 / INTERNAL when the app cannot be found or
 * reached ("failed to invoke, id: ..., err: ..."), 400 / INVALID_ARGUMENT for an invalid method or
 * app id, 404 / NOT_FOUND when the request names no app.
 */
final class InvokeGateway {
  static final String ERR_DIRECT_INVOKE = "ERR_DIRECT_INVOKE";

  private final InvocationService invocation;

  InvokeGateway(InvocationService invocation) {
    this.invocation = invocation;
  }

  /** The runtime's own app id, for {@code dapr-caller-app-id}. */
  String callerAppId() {
    return invocation.appId();
  }

  CompletionStage<InvocationResponse> run(InvokeCommand command) {
    return invocation
        .invokeAsync(command.target(), command.request())
        .exceptionally(
            failure -> {
              throw new DaprApiException(error(command.target(), failure));
            });
  }

  static DaprApiError error(String target, Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof DaprApiException api) {
      return api.error();
    }
    if (cause instanceof InvalidMethodException) {
      return invalid("invalid method name: " + cause.getMessage());
    }
    if (cause instanceof NameResolutionException || cause instanceof AppUnreachableException) {
      return new DaprApiError(
          500,
          ERR_DIRECT_INVOKE,
          Status.Code.INTERNAL,
          ERR_DIRECT_INVOKE,
          "failed to invoke, id: " + target + ", err: " + cause.getMessage());
    }
    if (cause instanceof IllegalArgumentException) {
      return invalid("failed to invoke, id: " + target + ", err: " + cause.getMessage());
    }
    return DaprApiError.internal(cause);
  }

  static DaprApiError invalid(String message) {
    return new DaprApiError(
        400, ERR_DIRECT_INVOKE, Status.Code.INVALID_ARGUMENT, ERR_DIRECT_INVOKE, message);
  }

  /** daprd's answer to an invocation that names no app (ErrDirectInvokeNoAppID). */
  static DaprApiError noAppId() {
    return new DaprApiError(
        404,
        ERR_DIRECT_INVOKE,
        Status.Code.NOT_FOUND,
        ERR_DIRECT_INVOKE,
        "failed getting app id either from the URL path or the header dapr-app-id");
  }

  static <T> CompletionStage<T> failed(DaprApiError error) {
    return CompletableFuture.failedFuture(new DaprApiException(error));
  }
}
