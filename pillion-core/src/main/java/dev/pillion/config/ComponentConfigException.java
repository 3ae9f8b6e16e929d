package dev.pillion.config;

import dev.pillion.abi.PillionException;

/**
 * A component definition (YAML or programmatic) is invalid; the message names the file, component
 * and field.
 */
public class ComponentConfigException extends PillionException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message where and what is wrong
   */
  public ComponentConfigException(String message) {
    super(message);
  }

  /**
   * Creates the exception with a cause.
   *
   * @param message where and what is wrong
   * @param cause the underlying failure
   */
  public ComponentConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
