package dev.pillion.pubsub;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A subscription declared outside code: a Dapr {@code kind: Subscription} resource, an entry of an
 * app's {@code GET /dapr/subscribe} answer, or a gRPC stream. Events are delivered to routes
 * (paths) of the app, picked by {@link Routes}. Immutable; built with {@link #builder}.
 */
public final class SubscriptionDefinition {
  private final String name;
  private final String pubsubName;
  private final String topic;
  private final Routes routes;
  private final String deadLetterTopic;
  private final List<String> scopes;
  private final Map<String, String> metadata;
  private final String origin;
  private final BulkSubscribe bulkSubscribe;
  private final SubscriptionSource source;

  private SubscriptionDefinition(Builder builder) {
    this.name = builder.name;
    this.pubsubName = builder.pubsubName;
    this.topic = builder.topic;
    this.routes = Objects.requireNonNull(builder.routes, "routes");
    this.deadLetterTopic = builder.deadLetterTopic;
    this.scopes = List.copyOf(builder.scopes);
    this.metadata = Map.copyOf(builder.metadata);
    this.origin = builder.origin;
    this.bulkSubscribe = builder.bulkSubscribe;
    this.source = builder.source;
  }

  /**
   * Starts a subscription.
   *
   * @param source where it is declared
   * @param name the resource's name (or a generated one for app-declared subscriptions)
   * @param pubsubName the pub/sub component
   * @param topic the topic
   * @return the builder
   */
  public static Builder builder(
      SubscriptionSource source, String name, String pubsubName, String topic) {
    return new Builder(source, name, pubsubName, topic);
  }

  /**
   * The resource's name (or a generated one for app-declared subscriptions).
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The pub/sub component.
   *
   * @return its name
   */
  public String pubsubName() {
    return pubsubName;
  }

  /**
   * The topic.
   *
   * @return the topic
   */
  public String topic() {
    return topic;
  }

  /**
   * The routing rules and default route.
   *
   * @return the routes
   */
  public Routes routes() {
    return routes;
  }

  /**
   * Where events go after their last retry.
   *
   * @return the topic, or empty for none
   */
  public Optional<String> deadLetterTopic() {
    return Optional.ofNullable(deadLetterTopic);
  }

  /**
   * The app ids the subscription applies to.
   *
   * @return the ids (empty: all)
   */
  public List<String> scopes() {
    return scopes;
  }

  /**
   * Subscription metadata ({@code rawPayload}, component-specific settings).
   *
   * @return the metadata
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * Where it was declared, for messages (a file, {@code /dapr/subscribe[0]}, a gRPC stream).
   *
   * @return the description
   */
  public String origin() {
    return origin;
  }

  /**
   * Whether and how events are delivered in batches.
   *
   * @return the bulk settings
   */
  public BulkSubscribe bulkSubscribe() {
    return bulkSubscribe;
  }

  /**
   * How the subscription was declared, as Dapr's metadata API reports it.
   *
   * @return the source
   */
  public SubscriptionSource source() {
    return source;
  }

  /**
   * Whether the subscription asks for raw payloads ({@code metadata.rawPayload}), read as Go's
   * {@code strconv.ParseBool} reads it, as daprd does.
   *
   * @return true for {@code 1}, {@code t}, {@code true} (and {@code T}, {@code TRUE}, {@code True})
   * @throws IllegalArgumentException naming the subscription when the value is not a boolean
   */
  public boolean rawPayload() {
    try {
      return CloudEvents.rawPayloadSetting(metadata);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          origin + ", subscription '" + name + "': metadata." + e.getMessage(), e);
    }
  }

  /**
   * Whether an app may use the subscription.
   *
   * @param appId the app's id
   * @return true if scopes are empty or contain the id
   */
  public boolean inScope(String appId) {
    return scopes.isEmpty() || scopes.contains(appId);
  }

  @Override
  public String toString() {
    return source + " subscription '" + name + "' (" + pubsubName + "/" + topic + ")";
  }

  /** Builds a {@link SubscriptionDefinition}; routes are required. */
  public static final class Builder {
    private final SubscriptionSource source;
    private final String name;
    private final String pubsubName;
    private final String topic;
    private Routes routes;
    private String deadLetterTopic;
    private List<String> scopes = List.of();
    private Map<String, String> metadata = Map.of();
    private String origin;
    private BulkSubscribe bulkSubscribe = BulkSubscribe.disabled();

    private Builder(SubscriptionSource source, String name, String pubsubName, String topic) {
      this.source = Objects.requireNonNull(source, "source");
      this.name = Objects.requireNonNull(name, "name");
      this.pubsubName = Objects.requireNonNull(pubsubName, "pubsubName");
      this.topic = Objects.requireNonNull(topic, "topic");
      this.origin = name;
    }

    /**
     * The routing rules and default route.
     *
     * @param routes the routes
     * @return this builder
     */
    public Builder routes(Routes routes) {
      this.routes = Objects.requireNonNull(routes, "routes");
      return this;
    }

    /**
     * Where events go after their last retry (default: none).
     *
     * @param topic the dead-letter topic
     * @return this builder
     */
    public Builder deadLetterTopic(String topic) {
      this.deadLetterTopic = Objects.requireNonNull(topic, "deadLetterTopic");
      return this;
    }

    /**
     * The app ids the subscription applies to (default: empty, all).
     *
     * @param scopes the ids
     * @return this builder
     */
    public Builder scopes(List<String> scopes) {
      this.scopes = List.copyOf(scopes);
      return this;
    }

    /**
     * Subscription metadata (default: none).
     *
     * @param metadata the metadata
     * @return this builder
     */
    public Builder metadata(Map<String, String> metadata) {
      this.metadata = Map.copyOf(metadata);
      return this;
    }

    /**
     * Where it was declared, for messages (default: its name).
     *
     * @param origin the description
     * @return this builder
     */
    public Builder origin(String origin) {
      this.origin = Objects.requireNonNull(origin, "origin");
      return this;
    }

    /**
     * Whether and how events are delivered in batches (default: disabled).
     *
     * @param bulkSubscribe the bulk settings
     * @return this builder
     */
    public Builder bulkSubscribe(BulkSubscribe bulkSubscribe) {
      this.bulkSubscribe = Objects.requireNonNull(bulkSubscribe, "bulkSubscribe");
      return this;
    }

    /**
     * Builds the definition.
     *
     * @return the definition
     * @throws NullPointerException when no routes were given
     */
    public SubscriptionDefinition build() {
      return new SubscriptionDefinition(this);
    }
  }
}
