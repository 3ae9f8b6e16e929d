package dev.pillion.state;

/** The store does not support the operation or option (e.g. transactions, TTL). */
public class StateNotSupportedException extends StateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param message what is not supported
   */
  public StateNotSupportedException(String store, String message) {
    super(store, message, null);
  }
}
