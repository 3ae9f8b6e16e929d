package dev.pillion.secrets;

import dev.pillion.abi.secretstores.BulkGetSecretRequest;
import dev.pillion.abi.secretstores.GetSecretRequest;
import dev.pillion.abi.secretstores.SecretResponse;
import dev.pillion.secrets.spi.SecretStoreComponent;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The secrets building block over one component: applies the store's {@link SecretScope} as daprd
 * does (a denied get is {@link SecretPermissionDeniedException}, a bulk get silently leaves denied
 * secrets out) and hands out sorted, unmodifiable maps.
 */
public final class DefaultSecretStore implements SecretStore {
  private static final System.Logger LOG = System.getLogger(DefaultSecretStore.class.getName());

  private final String name;
  private final SecretStoreComponent component;
  private final SecretScope scope;
  private final Set<String> features;

  private DefaultSecretStore(String name, SecretStoreComponent component, SecretScope scope) {
    this.name = name;
    this.component = component;
    this.scope = scope;
    this.features = Set.copyOf(component.features());
  }

  /**
   * Wraps a component.
   *
   * @param name the store's name
   * @param component the component
   * @param scope which secrets the app may read
   * @return the store
   */
  public static DefaultSecretStore create(
      String name, SecretStoreComponent component, SecretScope scope) {
    return new DefaultSecretStore(
        Objects.requireNonNull(name, "name"),
        Objects.requireNonNull(component, "component"),
        Objects.requireNonNull(scope, "scope"));
  }

  /**
   * The component behind the store.
   *
   * @return the component
   */
  public SecretStoreComponent component() {
    return component;
  }

  /**
   * The store's scope.
   *
   * @return the scope
   */
  public SecretScope scope() {
    return scope;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Set<String> features() {
    return features;
  }

  @Override
  public Map<String, String> get(String secret, Map<String, String> metadata) {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(metadata, "metadata");
    if (!scope.isAllowed(secret)) {
      throw new SecretPermissionDeniedException(name, secret);
    }
    return sorted(
        component
            .getSecret(
                GetSecretRequest.newBuilder().setName(secret).putAllMetadata(metadata).build())
            .getDataMap());
  }

  @Override
  public Map<String, Map<String, String>> bulkGet(Map<String, String> metadata) {
    Objects.requireNonNull(metadata, "metadata");
    Map<String, SecretResponse> all =
        component
            .bulkGetSecret(BulkGetSecretRequest.newBuilder().putAllMetadata(metadata).build())
            .getDataMap();
    SortedMap<String, Map<String, String>> allowed = new TreeMap<>();
    all.forEach(
        (secret, response) -> {
          if (scope.isAllowed(secret)) {
            allowed.put(secret, sorted(response.getSecretsMap()));
          } else {
            LOG.log(
                System.Logger.Level.DEBUG,
                () ->
                    "secret store '"
                        + name
                        + "': bulk get leaves out \""
                        + secret
                        + "\", which its scope denies");
          }
        });
    return Collections.unmodifiableSortedMap(allowed);
  }

  private static Map<String, String> sorted(Map<String, String> values) {
    return Collections.unmodifiableSortedMap(new TreeMap<>(values));
  }

  @Override
  public String toString() {
    return "secret store '" + name + "'";
  }
}
