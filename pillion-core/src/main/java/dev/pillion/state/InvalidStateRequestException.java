package dev.pillion.state;

/**
 * A request is malformed: an empty or illegal key, an invalid option or metadata value. Nothing was
 * changed.
 */
public class InvalidStateRequestException extends StateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param message which field is wrong and why
   */
  public InvalidStateRequestException(String store, String message) {
    super(store, message, null);
  }
}
