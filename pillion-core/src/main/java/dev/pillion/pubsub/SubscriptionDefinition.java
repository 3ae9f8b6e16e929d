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
 * @param metadata subscription metadata
 * @param origin where it was declared, for messages
 */
public record SubscriptionDefinition(
    String name,
    String pubsubName,
    String topic,
    Routes routes,
    Optional<String> deadLetterTopic,
    List<String> scopes,
    Map<String, String> metadata,
    String origin) {

  /** Copies the collections. */
  public SubscriptionDefinition {
    scopes = List.copyOf(scopes);
    metadata = Map.copyOf(metadata);
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
