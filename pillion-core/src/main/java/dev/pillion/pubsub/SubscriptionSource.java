package dev.pillion.pubsub;

/**
 * Where a subscription was declared, as Dapr's metadata API reports it (its {@code
 * PubsubSubscriptionType}).
 */
public enum SubscriptionSource {
  /** A {@code kind: Subscription} resource. */
  DECLARATIVE,
  /** An entry of the app's {@code GET /dapr/subscribe} answer. */
  PROGRAMMATIC,
  /** A gRPC {@code SubscribeTopicEventsAlpha1} stream. */
  STREAMING
}
