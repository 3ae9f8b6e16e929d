package dev.pillion.state;

import dev.pillion.abi.PillionException;

/**
 * A state operation failed. The message names the store and, where it applies, the key or field.
 */
public class StateException extends PillionException {
  private static final long serialVersionUID = 1L;

  private final String store;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param message what went wrong
   * @param cause the underlying failure, or null
   */
  public StateException(String store, String message, Throwable cause) {
    super("state store '" + store + "': " + message, cause);
    this.store = store;
  }

  /**
   * The state store the operation went to.
   *
   * @return its name
   */
  public String store() {
    return store;
  }
}
