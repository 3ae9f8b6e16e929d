package dev.pillion.abi;

/**
 * The root of every exception Pillion throws. All Pillion exceptions are unchecked; each names the
 * component (and, where it applies, the field or key) that was wrong.
 */
public class PillionException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message.
   *
   * @param message what went wrong, naming the component and field involved
   */
  public PillionException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message what went wrong, naming the component and field involved
   * @param cause the underlying failure
   */
  public PillionException(String message, Throwable cause) {
    super(message, cause);
  }
}
