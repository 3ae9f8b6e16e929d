package dev.pillion.secrets;

/**
 * The app may not read this secret: the secret store's scope in the {@code kind: Configuration}
 * resource ({@code spec.secrets.scopes}) does not allow it. Worded as daprd's {@code
 * ERR_PERMISSION_DENIED}.
 */
public class SecretPermissionDeniedException extends SecretsException {
  private static final long serialVersionUID = 1L;

  private final String secret;

  /**
   * Creates the exception.
   *
   * @param store the secret store's name
   * @param secret the requested secret
   */
  public SecretPermissionDeniedException(String store, String secret) {
    super(store, "access denied by policy to get \"" + secret + "\" from \"" + store + "\"", null);
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
