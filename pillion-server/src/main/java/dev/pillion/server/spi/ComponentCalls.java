package dev.pillion.server.spi;

import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs calls into components where they belong. A call into a component that answers in
 * microseconds (an in-memory or Wasm store) runs on the calling thread (the Netty event loop, or
 * gRPC's transport thread), because handing it to another thread would cost more than the call; a
 * call into a component marked blocking (one that waits on the network) runs on a bounded executor
 * instead, so it cannot stall the connections that share the calling thread. Immutable and
 * thread-safe.
 */
public final class ComponentCalls {
  private final Predicate<String> blocking;
  private final Executor executor;

  private ComponentCalls(Predicate<String> blocking, Executor executor) {
    this.blocking = blocking;
    this.executor = executor;
  }

  /**
   * Every call on the calling thread.
   *
   * @return the component calls
   */
  public static ComponentCalls inline() {
    return new ComponentCalls(component -> false, Runnable::run);
  }

  /**
   * Calls into the components {@code blocking} accepts run on {@code executor}; the others on the
   * calling thread.
   *
   * @param blocking whether a component, by name, is blocking
   * @param executor where blocking calls run; it refuses a call it cannot take with a {@link
   *     RejectedExecutionException} saying what is full
   * @return the component calls
   */
  public static ComponentCalls create(Predicate<String> blocking, Executor executor) {
    return new ComponentCalls(
        Objects.requireNonNull(blocking, "blocking"), Objects.requireNonNull(executor, "executor"));
  }

  /**
   * Whether calls into a component leave the calling thread.
   *
   * @param component the component's name
   * @return true when it is blocking
   */
  public boolean isBlocking(String component) {
    return blocking.test(component);
  }

  /**
   * Runs a call into a component. Never throws: a failure of the call completes the stage
   * exceptionally, and a call the executor refuses fails with {@link DaprApiError#componentBusy}.
   * For a component that is not blocking the stage is complete when this returns.
   *
   * @param component the component's name
   * @param work the call
   * @param <T> its result
   * @return the result
   */
  public <T> CompletionStage<T> call(String component, Supplier<T> work) {
    if (!blocking.test(component)) {
      try {
        return CompletableFuture.completedFuture(work.get());
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      executor.execute(
          () -> {
            try {
              result.complete(work.get());
            } catch (Throwable t) {
              result.completeExceptionally(t);
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(
          new DaprApiException(DaprApiError.componentBusy(component, e.getMessage())));
    }
    return result;
  }
}
