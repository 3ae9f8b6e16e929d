package dev.pillion.secrets;

import dev.pillion.abi.PillionException;

/**
 * A secrets operation failed; the message names the secret store and, where it applies, the secret.
 */
public class SecretsException extends PillionException {
  private static final long serialVersionUID = 1L;

  private final String store;
  private final String detail;

  /**
   * Creates the exception.
   *
   * @param store the secret store's name
   * @param message what went wrong
   * @param cause the underlying failure, or null
   */
  public SecretsException(String store, String message, Throwable cause) {
    super("secret store '" + store + "': " + message, cause);
    this.store = store;
    this.detail = message;
  }

  /**
   * The secret store the operation went to.
   *
   * @return its name
   */
  public String store() {
    return store;
  }

  /**
   * What went wrong, without the store's name: the component's own words for a failure it reported,
   * as daprd puts them after {@code failed getting secret with key ... from secret store ...:}.
   *
   * @return the text
   */
  public String detail() {
    return detail;
  }
}
