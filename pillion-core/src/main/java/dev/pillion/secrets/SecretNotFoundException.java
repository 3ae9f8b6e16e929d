package dev.pillion.secrets;

/**
 * The secret store has no secret of the requested name (the component's {@code NOT_FOUND}). Stores
 * whose Dapr semantics say otherwise answer with an empty value instead ({@code
 * secretstores.local.env} for a variable that is not set).
 */
public class SecretNotFoundException extends SecretsException {
  private static final long serialVersionUID = 1L;

  private final String secret;

  /**
   * Creates the exception.
   *
   * @param store the secret store's name
   * @param secret the requested secret
   * @param detail the component's own words, e.g. {@code secret db not found}
   * @param cause the underlying failure, or null
   */
  public SecretNotFoundException(String store, String secret, String detail, Throwable cause) {
    super(store, detail, cause);
    this.secret = secret;
  }

  /**
   * The requested secret.
   *
   * @return its name
   */
  public String secret() {
    return secret;
  }
}
