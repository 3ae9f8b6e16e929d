package dev.pillion.invoke;

import dev.pillion.invoke.resolution.AppNotFoundException;
import java.util.concurrent.CompletionStage;

/**
 * Dapr's service invocation for one runtime: the methods this app answers in-process, and calls to
 * other apps by app id. A call to an app whose runtime is in this JVM goes straight to its handler
 * (or its app channel) without a socket; any other is resolved by name resolution and sent to the
 * target's runtime over Dapr's internal protocol, when this runtime is served ({@code pillion run}
 * or {@code PillionServer}).
 *
 * <pre>{@code
 * runtime.onInvoke("orders", request -> InvocationResponse.ok("42 orders"));
 * InvocationResponse answer =
 *     runtime.invoke("checkout", InvocationRequest.builder("pay").body("{}").build());
 * }</pre>
 */
public interface Invocation {
  /**
   * Answers a method of this app in-process: invocations of it, from this JVM or from other
   * runtimes, call the handler instead of the app channel.
   *
   * @param method the method, e.g. {@code orders} (a leading {@code /} is dropped)
   * @param handler the handler
   * @throws InvalidMethodException when the method is not valid
   * @throws IllegalArgumentException when the method already has a handler
   * @throws IllegalStateException when the runtime has no app id (no one could address it)
   */
  void onInvoke(String method, InvocationHandler handler);

  /**
   * Invokes a method of an app and waits for its answer.
   *
   * @param target the app id, or {@code appId.namespace} for an app of another namespace
   * @param request the request
   * @return the app's answer, whatever its status
   * @throws IllegalArgumentException when the target is not a valid app id
   * @throws AppNotFoundException when name resolution knows no such app
   * @throws AppUnreachableException when the app or its runtime cannot be reached
   */
  InvocationResponse invoke(String target, InvocationRequest request);

  /**
   * Invokes a method of an app without waiting.
   *
   * @param target the app id, or {@code appId.namespace}
   * @param request the request
   * @return the app's answer; completes exceptionally with the exceptions {@link #invoke} throws
   */
  CompletionStage<InvocationResponse> invokeAsync(String target, InvocationRequest request);
}
