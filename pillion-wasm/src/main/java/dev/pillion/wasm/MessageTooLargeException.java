package dev.pillion.wasm;

/** A request or response exceeded the component's {@link ComponentLimits#maxMessageBytes()}. */
public class MessageTooLargeException extends ComponentCallException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param component the component's name
   * @param method the method called
   * @param problem which message, its size and the limit
   */
  public MessageTooLargeException(String component, String method, String problem) {
    super(component, method, problem, null);
  }
}
