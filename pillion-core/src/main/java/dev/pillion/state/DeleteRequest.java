package dev.pillion.state;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** A delete of one key. Immutable; build with {@link #builder(String)}. */
public final class DeleteRequest {
  private final String key;
  private final String etag;
  private final Concurrency concurrency;
  private final Consistency consistency;
  private final Map<String, String> metadata;

  private DeleteRequest(Builder builder) {
    this.key = builder.key;
    this.etag = builder.etag;
    this.concurrency = builder.concurrency;
    this.consistency = builder.consistency;
    this.metadata = Map.copyOf(builder.metadata);
  }

  /**
   * A builder for a delete of {@code key}.
   *
   * @param key the key
   * @return the builder
   */
  public static Builder builder(String key) {
    return new Builder(key);
  }

  /**
   * A delete of {@code key} with default options.
   *
   * @param key the key
   * @return the request
   */
  public static DeleteRequest of(String key) {
    return builder(key).build();
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
   * Metadata passed to the store.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Builds a {@link DeleteRequest}. */
  public static final class Builder {
    private final String key;
    private String etag;
    private Concurrency concurrency = Concurrency.LAST_WRITE;
    private Consistency consistency = Consistency.EVENTUAL;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Builder(String key) {
      this.key = Objects.requireNonNull(key, "key");
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
     * Builds the request.
     *
     * @return the request
     */
    public DeleteRequest build() {
      return new DeleteRequest(this);
    }
  }
}
