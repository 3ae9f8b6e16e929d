package dev.pillion.invoke;

/**
 * A method name that cannot be invoked: empty, with a {@code .} or {@code ..} segment (which would
 * leave the app's path), or with control characters.
 */
public class InvalidMethodException extends InvocationException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong with the method, naming it
   */
  public InvalidMethodException(String message) {
    super(message);
  }
}
