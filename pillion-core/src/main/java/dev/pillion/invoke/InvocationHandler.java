package dev.pillion.invoke;

/**
 * Answers invocations of one method of an app served in this JVM ({@link
 * Invocation#onInvoke(String, InvocationHandler)}). Runs on the caller's thread; it must be
 * thread-safe.
 */
@FunctionalInterface
public interface InvocationHandler {
  /**
   * Handles an invocation.
   *
   * @param request the request
   * @return the answer; an exception thrown here reaches the caller as a 500 answer naming it
   */
  InvocationResponse handle(InvocationRequest request);
}
