package dev.pillion.state;

import java.util.Objects;

/**
 * How a store prefixes keys, from the component's {@code keyPrefix} metadata, as Dapr does: {@code
 * appid} (the default: {@code <appId>||key}), {@code name} ({@code <store>||key}), {@code
 * namespace} ({@code <namespace>.<appId>||key}), {@code none}, or any other value as a literal
 * prefix.
 */
public final class KeyPrefix {
  /** Separates the prefix from the key; keys may not contain it when a prefix is used. */
  public static final String SEPARATOR = "||";

  private final String prefix;

  private KeyPrefix(String prefix) {
    this.prefix = prefix;
  }

  /**
   * Resolves the strategy.
   *
   * @param strategy the {@code keyPrefix} metadata value (empty means appid)
   * @param storeName the store's name
   * @param appId the application's id (may be empty)
   * @param namespace the namespace (may be empty)
   * @return the key prefix
   */
  public static KeyPrefix of(String strategy, String storeName, String appId, String namespace) {
    Objects.requireNonNull(strategy);
    String prefix =
        switch (strategy.toLowerCase(java.util.Locale.ROOT)) {
          case "", "appid" -> appId;
          case "name" -> storeName;
          case "namespace" -> namespace.isEmpty() ? appId : namespace + "." + appId;
          case "none" -> "";
          default -> strategy;
        };
    return new KeyPrefix(prefix.isEmpty() ? "" : prefix + SEPARATOR);
  }

  /**
   * Whether keys get a prefix.
   *
   * @return false for {@code none} (or an empty app id)
   */
  public boolean active() {
    return !prefix.isEmpty();
  }

  /**
   * The key as the component sees it.
   *
   * @param key the application's key (checked by the caller)
   * @return the prefixed key
   */
  public String apply(String key) {
    return prefix.isEmpty() ? key : prefix + key;
  }

  /**
   * The key as the application sees it.
   *
   * @param storedKey a key as the component sees it
   * @return the key without the prefix
   */
  public String strip(String storedKey) {
    return storedKey.startsWith(prefix) ? storedKey.substring(prefix.length()) : storedKey;
  }

  @Override
  public String toString() {
    return prefix.isEmpty() ? "(none)" : prefix;
  }
}
