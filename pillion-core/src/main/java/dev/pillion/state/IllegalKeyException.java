package dev.pillion.state;

/**
 * A key contains {@link KeyPrefix#SEPARATOR} while the store prefixes keys: the stored key would be
 * ambiguous, so daprd refuses it ({@code DAPR_STATE_ILLEGAL_KEY}).
 */
public class IllegalKeyException extends InvalidStateRequestException {
  private static final long serialVersionUID = 1L;

  private final String key;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param key the refused key, as the application gave it
   */
  public IllegalKeyException(String store, String key) {
    super(store, "input key '" + key + "' can't contain '" + KeyPrefix.SEPARATOR + "'");
    this.key = key;
  }

  /**
   * The refused key.
   *
   * @return the key as the application gave it
   */
  public String key() {
    return key;
  }
}
