package dev.pillion.secrets;

import java.util.Map;
import java.util.Set;

/**
 * A secret store with Dapr's semantics, backed by one component, as an app may read it: the store's
 * scope from the {@code kind: Configuration} resource ({@code spec.secrets.scopes}) decides which
 * secrets the app may read. Thread-safe.
 *
 * <p>A secret is a map of keys to values: a single-valued store answers {@code {name: value}}; a
 * store with the feature {@code MULTIPLE_KEY_VALUES_PER_SECRET} may answer several keys.
 *
 * <p>Errors: {@link SecretNotFoundException} when the store has no such secret, {@link
 * SecretPermissionDeniedException} when the scope denies it, {@link SecretsException} otherwise.
 */
public interface SecretStore {
  /**
   * The store's name (the component's {@code metadata.name}).
   *
   * @return the name
   */
  String name();

  /**
   * The features the component reports ({@code MULTIPLE_KEY_VALUES_PER_SECRET}).
   *
   * @return the feature strings
   */
  Set<String> features();

  /**
   * Reads a secret.
   *
   * @param name the secret's name
   * @param metadata request metadata for the component (daprd's {@code metadata.*} query
   *     parameters)
   * @return the secret's keys and values, sorted by key
   * @throws SecretPermissionDeniedException when the store's scope denies the secret
   * @throws SecretNotFoundException when the store has no such secret
   */
  Map<String, String> get(String name, Map<String, String> metadata);

  /**
   * Reads a secret without request metadata.
   *
   * @param name the secret's name
   * @return the secret's keys and values, sorted by key
   * @throws SecretPermissionDeniedException when the store's scope denies the secret
   * @throws SecretNotFoundException when the store has no such secret
   */
  default Map<String, String> get(String name) {
    return get(name, Map.of());
  }

  /**
   * Reads every secret the app may read; the others are left out silently, as daprd does.
   *
   * @param metadata request metadata for the component
   * @return the secrets by name, sorted, each its keys and values
   */
  Map<String, Map<String, String>> bulkGet(Map<String, String> metadata);

  /**
   * Reads every secret the app may read, without request metadata.
   *
   * @return the secrets by name, sorted, each its keys and values
   */
  default Map<String, Map<String, String>> bulkGet() {
    return bulkGet(Map.of());
  }
}
