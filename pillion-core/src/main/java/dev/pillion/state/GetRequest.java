package dev.pillion.state;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** A read of one key with options. Immutable; build with {@link #builder(String)}. */
public final class GetRequest {
  private final String key;
  private final Consistency consistency;
  private final Map<String, String> metadata;

  private GetRequest(Builder builder) {
    this.key = builder.key;
    this.consistency = builder.consistency;
    this.metadata = Map.copyOf(builder.metadata);
  }

  /**
   * A builder for a read of {@code key}.
   *
   * @param key the key
   * @return the builder
   */
  public static Builder builder(String key) {
    return new Builder(key);
  }

  /**
   * A read of {@code key} with default options.
   *
   * @param key the key
   * @return the request
   */
  public static GetRequest of(String key) {
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
   * The consistency asked for.
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

  /** Builds a {@link GetRequest}. */
  public static final class Builder {
    private final String key;
    private Consistency consistency = Consistency.EVENTUAL;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Builder(String key) {
      this.key = Objects.requireNonNull(key, "key");
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
    public GetRequest build() {
      return new GetRequest(this);
    }
  }
}
