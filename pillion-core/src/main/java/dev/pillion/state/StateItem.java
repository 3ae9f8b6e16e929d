package dev.pillion.state;

import dev.pillion.state.spi.StateMetadata;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A stored item as read back: key, value bytes, etag, content type and the store's metadata.
 * Immutable.
 */
public final class StateItem {
  /** Metadata key of the RFC 3339 time an item with a TTL expires. */
  public static final String TTL_EXPIRE_TIME = StateMetadata.TTL_EXPIRE_TIME;

  private final String key;
  private final byte[] value;
  private final String etag;
  private final String contentType;
  private final Map<String, String> metadata;

  private StateItem(
      String key, byte[] value, String etag, String contentType, Map<String, String> metadata) {
    this.key = key;
    this.value = value;
    this.etag = etag;
    this.contentType = contentType;
    this.metadata = metadata;
  }

  /**
   * Creates an item.
   *
   * @param key the key as the application gave it
   * @param value the value (copied)
   * @param etag the etag, or empty if the store has none
   * @param contentType the content type, or empty
   * @param metadata metadata the store returned
   * @return the item
   */
  public static StateItem of(
      String key, byte[] value, String etag, String contentType, Map<String, String> metadata) {
    return new StateItem(
        Objects.requireNonNull(key),
        value.clone(),
        Objects.requireNonNull(etag),
        Objects.requireNonNull(contentType),
        Map.copyOf(metadata));
  }

  /**
   * Creates an item that owns {@code value} without copying it (the caller must not keep the
   * array).
   */
  static StateItem wrap(
      String key, byte[] value, String etag, String contentType, Map<String, String> metadata) {
    return new StateItem(
        key, value, etag, contentType, metadata.isEmpty() ? Map.of() : Map.copyOf(metadata));
  }

  /**
   * The key.
   *
   * @return the key as the application gave it (without the store's key prefix)
   */
  public String key() {
    return key;
  }

  /**
   * The value.
   *
   * @return a copy of the stored bytes
   */
  public byte[] value() {
    return value.clone();
  }

  /**
   * The value as UTF-8 text.
   *
   * @return the decoded value
   */
  public String valueAsString() {
    return new String(value, StandardCharsets.UTF_8);
  }

  /**
   * The etag to pass to a later save or delete for optimistic concurrency.
   *
   * @return the etag, or empty if the store does not issue etags
   */
  public Optional<String> etag() {
    return etag.isEmpty() ? Optional.empty() : Optional.of(etag);
  }

  /**
   * The content type saved with the value.
   *
   * @return the content type, or empty
   */
  public Optional<String> contentType() {
    return contentType.isEmpty() ? Optional.empty() : Optional.of(contentType);
  }

  /**
   * Metadata the store returned (e.g. {@value #TTL_EXPIRE_TIME}).
   *
   * @return an unmodifiable map
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * When the item expires, for items saved with a TTL.
   *
   * @return the expiry, or empty if the item has no TTL
   */
  public Optional<Instant> ttlExpireTime() {
    String value = metadata.get(TTL_EXPIRE_TIME);
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(value));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StateItem other
        && key.equals(other.key)
        && Arrays.equals(value, other.value)
        && etag.equals(other.etag)
        && contentType.equals(other.contentType)
        && metadata.equals(other.metadata);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, Arrays.hashCode(value), etag, contentType, metadata);
  }

  @Override
  public String toString() {
    return "StateItem{key="
        + key
        + ", "
        + value.length
        + " bytes, etag="
        + etag
        + ", metadata="
        + metadata
        + '}';
  }
}
