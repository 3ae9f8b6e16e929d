package dev.pillion.invoke.resolution;

import dev.pillion.abi.PillionException;

/** Name resolution failed: the message names the app id, the namespace and the resolver. */
public class NameResolutionException extends PillionException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, naming the app id and the resolver
   */
  public NameResolutionException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message what failed, naming the app id and the resolver
   * @param cause the underlying failure
   */
  public NameResolutionException(String message, Throwable cause) {
    super(message, cause);
  }
}
