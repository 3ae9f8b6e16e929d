package dev.pillion.wasm;

/**
 * A call ran past the component's call timeout and was interrupted, or no instance became free
 * within the pool wait. An interrupted instance was discarded and replaced.
 */
public class ComponentTimeoutException extends ComponentCallException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param component the component's name
   * @param method the method called
   * @param problem what timed out
   */
  public ComponentTimeoutException(String component, String method, String problem) {
    super(component, method, problem, null);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param component the component's name
   * @param method the method called
   * @param problem what timed out
   * @param cause what the interrupted call threw
   */
  public ComponentTimeoutException(
      String component, String method, String problem, Throwable cause) {
    super(component, method, problem, cause);
  }
}
