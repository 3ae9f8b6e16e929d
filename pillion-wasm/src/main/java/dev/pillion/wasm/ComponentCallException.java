package dev.pillion.wasm;

import dev.pillion.abi.PillionException;

/** A call into a component failed. Subclasses say how. */
public class ComponentCallException extends PillionException {
  private static final long serialVersionUID = 1L;

  private final String component;
  private final String method;

  /**
   * Creates the exception.
   *
   * @param component the component's name
   * @param method the method called, e.g. {@code get}
   * @param problem what went wrong
   * @param cause the underlying failure, or null
   */
  public ComponentCallException(String component, String method, String problem, Throwable cause) {
    super("component '" + component + "', method " + method + ": " + problem, cause);
    this.component = component;
    this.method = method;
  }

  /**
   * The component called.
   *
   * @return its name
   */
  public String component() {
    return component;
  }

  /**
   * The method called.
   *
   * @return the method, e.g. {@code get}
   */
  public String method() {
    return method;
  }
}
