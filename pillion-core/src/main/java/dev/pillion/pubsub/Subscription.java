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
   * Stops delivery; events being handled finish, unhandled ones stay with the component for later.
   */
  @Override
  void close();
}
