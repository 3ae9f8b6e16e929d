package dev.pillion.invoke;

import dev.pillion.abi.PillionException;

/** A service invocation that could not reach the target app's answer. */
public class InvocationException extends PillionException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what went wrong, naming the target app
   */
  public InvocationException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what went wrong, naming the target app
   * @param cause the underlying failure
   */
  public InvocationException(String message, Throwable cause) {
    super(message, cause);
  }
}
