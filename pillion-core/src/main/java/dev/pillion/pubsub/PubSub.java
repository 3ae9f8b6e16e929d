package dev.pillion.pubsub;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pub/sub component with Dapr's semantics: CloudEvents envelopes, at-least-once delivery, retries
 * with backoff, dead-letter topics, per-subscription concurrency and ordering. Thread-safe.
 */
public interface PubSub {
  /**
   * The component's name.
   *
   * @return the name
   */
  String name();

  /**
   * The features the component reports.
   *
   * @return the feature strings
   */
  Set<String> features();

  /**
   * Publishes one event.
   *
   * @param request the event
   * @throws InvalidPublishException for a malformed request
   * @throws PubSubException when the component fails
   */
  void publish(PublishRequest request);

  /**
   * Publishes many events to one topic; each entry succeeds or fails on its own.
   *
   * @param topic the topic
   * @param entries the events, each with an entry id of its own
   * @param metadata metadata for every entry
   * @return the failed entries (empty when all were published)
   * @throws BulkEntryIdException when an entry id is empty or repeated (nothing is published)
   * @throws InvalidPublishException for an empty topic
   */
  List<BulkPublishFailure> bulkPublish(
      String topic, List<BulkPublishEntry> entries, Map<String, String> metadata);

  /**
   * Subscribes a handler to a topic. Delivery starts at once; close the subscription to stop it.
   *
   * @param options the topic and delivery options
   * @param handler the handler
   * @return the running subscription
   */
  Subscription subscribe(SubscriptionOptions options, EventHandler handler);

  /**
   * Subscribes a bulk handler to a topic: events reach it in batches of up to {@link
   * SubscriptionOptions#bulkMaxMessages()}, formed for at most {@link
   * SubscriptionOptions#bulkMaxAwait()}, and it answers each entry on its own. Delivery starts at
   * once; close the subscription to stop it. The topic's events come in publish order, but an entry
   * that is retried comes back in a later batch, after events published after it: a bulk
   * subscription does not hold up its topic for one entry, whatever its concurrency.
   *
   * @param options the topic and delivery options; {@link SubscriptionOptions#concurrency()} is the
   *     number of batches handled at once
   * @param handler the handler
   * @return the running subscription
   */
  Subscription subscribeBulk(SubscriptionOptions options, BulkEventHandler handler);

  /**
   * One entry of a bulk publish.
   *
   * @param entryId the caller's id of the entry, echoed in failures
   * @param data the data
   * @param contentType the content type (empty: inferred)
   * @param metadata the entry's metadata
   */
  record BulkPublishEntry(
      String entryId, byte[] data, String contentType, Map<String, String> metadata) {
    /** Copies the map. */
    public BulkPublishEntry {
      metadata = Map.copyOf(metadata);
    }
  }

  /**
   * A failed entry of a bulk publish.
   *
   * @param entryId the entry's id
   * @param error why it failed
   */
  record BulkPublishFailure(String entryId, String error) {}
}
