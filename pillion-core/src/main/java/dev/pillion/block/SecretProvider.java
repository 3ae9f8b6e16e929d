package dev.pillion.block;

import java.util.Map;
import java.util.Optional;

/**
 * A building block whose components hold secrets other components' metadata may refer to ({@code
 * secretKeyRef}). The loader loads the components of such blocks before all others and resolves
 * references through them, by the name in the referring component's {@code auth.secretStore}.
 *
 * @param <A> the block's API type
 */
public interface SecretProvider<A> {
  /**
   * Reads a secret for a component's metadata. Secret scoping (which limits what applications may
   * read through the API) does not apply, as in daprd.
   *
   * @param api the secret store's API
   * @param name the secret's name
   * @param metadata the request's metadata (daprd passes the component's namespace)
   * @return the secret's keys and values, or empty when the store has no such secret
   * @throws RuntimeException the block's exception when the store fails
   */
  Optional<Map<String, String>> secret(A api, String name, Map<String, String> metadata);
}
