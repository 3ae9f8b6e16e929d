package dev.pillion.state;

import dev.pillion.state.spi.StateMetadata;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** A write of one key. Immutable; build with {@link #builder(String, byte[])}. */
public final class SaveRequest {
  /** Metadata key of the time-to-live in seconds; -1 means no TTL. */
  public static final String TTL_IN_SECONDS = StateMetadata.TTL_IN_SECONDS;

  private final String key;
  private final byte[] value;
  private final String etag;
  private final Concurrency concurrency;
  private final Consistency consistency;
  private final String contentType;
  private final Map<String, String> metadata;

  private SaveRequest(Builder builder) {
    this.key = builder.key;
    this.value = builder.value;
    this.etag = builder.etag;
    this.concurrency = builder.concurrency;
    this.consistency = builder.consistency;
    this.contentType = builder.contentType;
    this.metadata = Map.copyOf(builder.metadata);
  }

  /**
   * A builder for a write of {@code value} under {@code key}.
   *
   * @param key the key
   * @param value the value (copied)
   * @return the builder
   */
  public static Builder builder(String key, byte[] value) {
    return new Builder(key, value);
  }

  /**
   * A builder for a write of UTF-8 text.
   *
   * @param key the key
   * @param value the text
   * @return the builder
   */
  public static Builder builder(String key, String value) {
    return new Builder(key, value.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The key.
   *
   * @return the key
   */
  public String key() {
    return key;
  }

  /**
   * The value.
   *
   * @return a copy of the bytes
   */
  public byte[] value() {
    return value.clone();
  }

  byte[] valueUnsafe() {
    return value;
  }

  /**
   * The etag the stored item must have.
   *
   * @return the etag, or empty for none
   */
  public Optional<String> etag() {
    return Optional.ofNullable(etag);
  }

  /**
   * The concurrency mode.
   *
   * @return the mode (default last-write)
   */
  public Concurrency concurrency() {
    return concurrency;
  }

  /**
   * The consistency.
   *
   * @return the consistency (default eventual)
   */
  public Consistency consistency() {
    return consistency;
  }

  /**
   * The content type stored with the value.
   *
   * @return the content type, or empty
   */
  public Optional<String> contentType() {
    return Optional.ofNullable(contentType);
  }

  /**
   * Metadata passed to the store, e.g. {@value #TTL_IN_SECONDS}.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Builds a {@link SaveRequest}. */
  public static final class Builder {
    private final String key;
    private final byte[] value;
    private String etag;
    private Concurrency concurrency = Concurrency.LAST_WRITE;
    private Consistency consistency = Consistency.EVENTUAL;
    private String contentType;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Builder(String key, byte[] value) {
      this.key = Objects.requireNonNull(key, "key");
      this.value = Objects.requireNonNull(value, "value").clone();
    }

    /**
     * Requires the stored item to have this etag.
     *
     * @param etag the etag read earlier
     * @return this builder
     */
    public Builder etag(String etag) {
      this.etag = Objects.requireNonNull(etag, "etag");
      return this;
    }

    /**
     * Sets the concurrency mode.
     *
     * @param concurrency first-write or last-write
     * @return this builder
     */
    public Builder concurrency(Concurrency concurrency) {
      this.concurrency = Objects.requireNonNull(concurrency);
      return this;
    }

    /**
     * Sets the consistency.
     *
     * @param consistency eventual or strong
     * @return this builder
     */
    public Builder consistency(Consistency consistency) {
      this.consistency = Objects.requireNonNull(consistency);
      return this;
    }

    /**
     * Sets the content type.
     *
     * @param contentType e.g. {@code application/json}
     * @return this builder
     */
    public Builder contentType(String contentType) {
      this.contentType = Objects.requireNonNull(contentType);
      return this;
    }

    /**
     * Sets a TTL.
     *
     * @param seconds seconds until the item expires; -1 removes a TTL
     * @return this builder
     */
    public Builder ttlInSeconds(long seconds) {
      return metadata(TTL_IN_SECONDS, Long.toString(seconds));
    }

    /**
     * Adds a metadata entry.
     *
     * @param name the name
     * @param value the value
     * @return this builder
     */
    public Builder metadata(String name, String value) {
      metadata.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
      return this;
    }

    /**
     * Adds metadata entries.
     *
     * @param entries the entries
     * @return this builder
     */
    public Builder metadata(Map<String, String> entries) {
      entries.forEach(this::metadata);
      return this;
    }

    /**
     * Builds the request.
     *
     * @return the request
     */
    public SaveRequest build() {
      return new SaveRequest(this);
    }
  }
}
