package dev.pillion.pubsub;

/** A running subscription. Closing it stops delivery after the events in progress finish. */
public interface Subscription extends AutoCloseable {
  /**
   * The options it runs with.
   *
   * @return the options
   */
  SubscriptionOptions options();

  /**
   * The subscription (consumer group) name in use.
   *
   * @return the name
   */
  String subscriptionName();

  /**
   * How many messages of this subscription are stuck: they failed more deliveries than {@link
   * SubscriptionOptions#maxRetries()} allows and are still being retried, because the subscription
   * has no dead-letter topic (such messages are never dropped unless the handler answers {@link
   * DeliveryResult#DROP}) or because publishing to the dead-letter topic fails. Each is retried at
   * most {@link SubscriptionOptions#maxBackoff()} apart until its handler succeeds or drops it.
   *
   * <p>The count covers the whole consumer group in this process (subscriptions of the same topic
   * and subscription name share it). A stuck message that has not come back for a few backoff caps
   * (another process of the group settled it, say) is no longer counted. While the count is above
   * zero a warning with the count is logged when a message first gets stuck and at most once a
   * minute after that.
   *
   * @return the number of stuck messages, 0 when every message is within its retry budget
   */
  int stuckMessages();

  /**
   * Stops delivery; events being handled finish, unhandled ones stay with the component for later.
   */
  @Override
  void close();
}
