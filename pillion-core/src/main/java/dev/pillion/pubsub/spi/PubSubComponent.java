package dev.pillion.pubsub.spi;

import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.abi.pubsub.BulkPublishRequest;
import dev.pillion.abi.pubsub.BulkPublishResponse;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PublishRequest;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.block.BlockComponent;
import java.util.List;

/**
 * A pub/sub component as the building block sees it: the contract's messages ({@code
 * proto/pubsub/pubsub.proto}) in, {@link dev.pillion.pubsub.PubSubException}s out. Must be
 * thread-safe.
 */
public interface PubSubComponent extends BlockComponent {
  /**
   * Stores a message for every subscription of its topic.
   *
   * @param request the message
   * @return the component's message id
   */
  String publish(PublishRequest request);

  /**
   * Publishes many messages.
   *
   * @param request the messages
   * @return the failed entries
   */
  BulkPublishResponse bulkPublish(BulkPublishRequest request);

  /**
   * Declares a subscription (idempotent).
   *
   * @param topic the topic
   * @param subscription the subscription (consumer group) name
   */
  void subscribe(String topic, String subscription);

  /**
   * Removes a subscription.
   *
   * @param topic the topic
   * @param subscription the subscription name
   */
  void unsubscribe(String topic, String subscription);

  /**
   * Leases messages.
   *
   * @param request what to pull
   * @return the leased messages, oldest first
   */
  List<Message> pull(PullRequest request);

  /**
   * Settles leased messages.
   *
   * @param request the outcomes
   * @return ids the component held no lease for
   */
  List<String> ack(AckRequest request);
}
