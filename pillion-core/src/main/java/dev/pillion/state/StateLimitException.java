package dev.pillion.state;

/**
 * A request went past a limit (the store's capacity in bytes or items, the largest message a
 * component accepts, a key's size) and was refused whole: nothing was changed. The message names
 * the limit and the setting that raises it.
 */
public class StateLimitException extends StateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param message which limit, and by how much
   * @param cause the underlying failure, or null
   */
  public StateLimitException(String store, String message, Throwable cause) {
    super(store, message, cause);
  }
}
