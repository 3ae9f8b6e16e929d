package dev.pillion.wasm;

/**
 * The guest trapped (unreachable, out-of-bounds access, stack exhaustion, exit) or broke the ABI (a
 * response outside its memory). The instance was discarded; the next call gets a fresh one.
 */
public class ComponentTrapException extends ComponentCallException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param component the component's name
   * @param method the method called
   * @param problem what happened
   * @param cause the underlying failure
   */
  public ComponentTrapException(String component, String method, String problem, Throwable cause) {
    super(component, method, problem, cause);
  }
}
