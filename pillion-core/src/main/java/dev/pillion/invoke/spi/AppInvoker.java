package dev.pillion.invoke.spi;

import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import java.util.concurrent.CompletionStage;

/**
 * How a runtime calls its own app (its app channel): over HTTP for an app behind {@code
 * --app-port}, over gRPC {@code AppCallback.OnInvoke} for a gRPC app. The server connects one to
 * the runtime's {@link dev.pillion.invoke.InvocationService}; methods with an in-process handler do
 * not reach it.
 */
@FunctionalInterface
public interface AppInvoker {
  /**
   * Calls the app.
   *
   * @param request the invocation, as the caller sent it (method, verb, query, headers, body)
   * @return the app's answer, whatever its status; completes exceptionally with {@link
   *     dev.pillion.invoke.AppUnreachableException} when the app cannot be reached
   */
  CompletionStage<InvocationResponse> invoke(InvocationRequest request);
}
