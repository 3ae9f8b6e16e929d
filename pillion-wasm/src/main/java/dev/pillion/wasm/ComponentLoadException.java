package dev.pillion.wasm;

import dev.pillion.abi.PillionException;

/**
 * A component could not be loaded: the bytes are not Wasm, an export its contract needs is missing
 * or has the wrong signature, its ABI version is unsupported, it imports something the host does
 * not grant, or its start failed.
 */
public class ComponentLoadException extends PillionException {
  private static final long serialVersionUID = 1L;

  private final String component;

  /**
   * Creates the exception.
   *
   * @param component the component's name
   * @param problem what is wrong
   * @param cause the underlying failure, or null
   */
  public ComponentLoadException(String component, String problem, Throwable cause) {
    super("component '" + component + "': " + problem, cause);
    this.component = component;
  }

  /**
   * The component that failed to load.
   *
   * @return its name
   */
  public String component() {
    return component;
  }
}
