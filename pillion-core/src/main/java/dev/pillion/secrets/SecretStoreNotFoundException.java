package dev.pillion.secrets;

import java.util.Collection;

/** No secret store with the requested name is loaded. */
public class SecretStoreNotFoundException extends SecretsException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param store the requested name
   * @param available the names that are loaded
   */
  public SecretStoreNotFoundException(String store, Collection<String> available) {
    super(
        store,
        available.isEmpty()
            ? "not found: no secret stores are configured"
            : "not found (configured secret stores: " + String.join(", ", available) + ")",
        null);
  }
}
