package dev.pillion.secrets;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Which secrets of one store an app may read: an entry of {@code spec.secrets.scopes} in a {@code
 * kind: Configuration} resource, with daprd's rules. When {@code allowedSecrets} is not empty only
 * those secrets are allowed; otherwise a secret in {@code deniedSecrets} is denied and any other
 * follows {@code defaultAccess} (allow unless it says deny). Names match exactly.
 *
 * @param storeName the secret store it applies to
 * @param defaultDeny whether {@code defaultAccess} is {@code deny}
 * @param allowedSecrets the only secrets allowed, when not empty
 * @param deniedSecrets secrets denied (when {@code allowedSecrets} is empty)
 */
public record SecretScope(
    String storeName, boolean defaultDeny, Set<String> allowedSecrets, Set<String> deniedSecrets) {
  /** Copies the sets. */
  public SecretScope {
    Objects.requireNonNull(storeName, "storeName");
    allowedSecrets = Set.copyOf(allowedSecrets);
    deniedSecrets = Set.copyOf(deniedSecrets);
  }

  /**
   * The scope of a store without a configuration: every secret is allowed.
   *
   * @param storeName the store
   * @return the scope
   */
  public static SecretScope allowAll(String storeName) {
    return new SecretScope(storeName, false, Set.of(), Set.of());
  }

  /**
   * A scope from its lists.
   *
   * @param storeName the store
   * @param defaultDeny whether {@code defaultAccess} is {@code deny}
   * @param allowedSecrets the only secrets allowed, when not empty
   * @param deniedSecrets secrets denied
   * @return the scope
   */
  public static SecretScope of(
      String storeName,
      boolean defaultDeny,
      List<String> allowedSecrets,
      List<String> deniedSecrets) {
    return new SecretScope(
        storeName, defaultDeny, Set.copyOf(allowedSecrets), Set.copyOf(deniedSecrets));
  }

  /**
   * Whether the app may read a secret.
   *
   * @param secret the secret's name
   * @return true if allowed
   */
  public boolean isAllowed(String secret) {
    if (!allowedSecrets.isEmpty()) {
      return allowedSecrets.contains(secret);
    }
    if (deniedSecrets.contains(secret)) {
      return false;
    }
    return !defaultDeny;
  }
}
