package dev.pillion.state;

import java.util.Objects;
import java.util.Optional;

/**
 * One entry of a bulk get: the item, or nothing for a missing key, or the error for that key.
 * Immutable.
 */
public final class BulkStateItem {
  private final String key;
  private final StateItem item;
  private final String error;

  private BulkStateItem(String key, StateItem item, String error) {
    this.key = key;
    this.item = item;
    this.error = error;
  }

  /**
   * A key that was found.
   *
   * @param item the item
   * @return the entry
   */
  public static BulkStateItem found(StateItem item) {
    return new BulkStateItem(item.key(), item, null);
  }

  /**
   * A key that does not exist.
   *
   * @param key the key
   * @return the entry
   */
  public static BulkStateItem missing(String key) {
    return new BulkStateItem(Objects.requireNonNull(key), null, null);
  }

  /**
   * A key whose read failed.
   *
   * @param key the key
   * @param error why
   * @return the entry
   */
  public static BulkStateItem failed(String key, String error) {
    return new BulkStateItem(Objects.requireNonNull(key), null, Objects.requireNonNull(error));
  }

  /**
   * The key requested.
   *
   * @return the key
   */
  public String key() {
    return key;
  }

  /**
   * The item.
   *
   * @return the item, or empty if the key is missing or its read failed
   */
  public Optional<StateItem> item() {
    return Optional.ofNullable(item);
  }

  /**
   * The error for this key.
   *
   * @return the error, or empty if the read succeeded
   */
  public Optional<String> error() {
    return Optional.ofNullable(error);
  }

  @Override
  public String toString() {
    return "BulkStateItem{" + key + ", " + (error != null ? "error=" + error : item) + '}';
  }
}
