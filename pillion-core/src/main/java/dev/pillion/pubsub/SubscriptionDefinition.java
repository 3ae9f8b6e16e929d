package dev.pillion.pubsub;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A subscription declared outside code: a Dapr {@code kind: Subscription} resource, or an entry of
 * an app's {@code GET /dapr/subscribe} answer. Events are delivered to routes (paths) of the app,
 * picked by {@link Routes}.
 *
 * @param name the resource's name (or a generated one for app-declared subscriptions)
 * @param pubsubName the pub/sub component
 * @param topic the topic
 * @param routes the routing rules and default route
 * @param deadLetterTopic where events go after their last retry
 * @param scopes the app ids the subscription applies to (empty: all)
 * @param metadata subscription metadata ({@code rawPayload}, component-specific settings)
 * @param origin where it was declared, for messages
 * @param bulkSubscribe whether and how events are delivered in batches
 */
public record SubscriptionDefinition(
    String name,
    String pubsubName,
    String topic,
    Routes routes,
    Optional<String> deadLetterTopic,
    List<String> scopes,
    Map<String, String> metadata,
    String origin,
    BulkSubscribe bulkSubscribe) {

  /** Copies the collections. */
  public SubscriptionDefinition {
    scopes = List.copyOf(scopes);
    metadata = Map.copyOf(metadata);
    java.util.Objects.requireNonNull(bulkSubscribe, "bulkSubscribe");
  }

  /**
   * A subscription delivering one event per request.
   *
   * @param name the resource's name
   * @param pubsubName the pub/sub component
   * @param topic the topic
   * @param routes the routing rules and default route
   * @param deadLetterTopic where events go after their last retry
   * @param scopes the app ids the subscription applies to (empty: all)
   * @param metadata subscription metadata
   * @param origin where it was declared, for messages
   */
  public SubscriptionDefinition(
      String name,
      String pubsubName,
      String topic,
      Routes routes,
      Optional<String> deadLetterTopic,
      List<String> scopes,
      Map<String, String> metadata,
      String origin) {
    this(
        name,
        pubsubName,
        topic,
        routes,
        deadLetterTopic,
        scopes,
        metadata,
        origin,
        BulkSubscribe.disabled());
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
}
