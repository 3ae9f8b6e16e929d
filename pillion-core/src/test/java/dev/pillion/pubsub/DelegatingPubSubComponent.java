package dev.pillion.pubsub;

import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.abi.pubsub.BulkPublishRequest;
import dev.pillion.abi.pubsub.BulkPublishResponse;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.pubsub.spi.PubSubComponent;
import java.util.List;
import java.util.Set;

/** A component that forwards every call; tests override what they watch or disturb. */
class DelegatingPubSubComponent implements PubSubComponent {
  private final PubSubComponent inner;

  DelegatingPubSubComponent(PubSubComponent inner) {
    this.inner = inner;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public Set<String> features() {
    return inner.features();
  }

  @Override
  public String publish(dev.pillion.abi.pubsub.PublishRequest request) {
    return inner.publish(request);
  }

  @Override
  public BulkPublishResponse bulkPublish(BulkPublishRequest request) {
    return inner.bulkPublish(request);
  }

  @Override
  public void subscribe(String topic, String subscription) {
    inner.subscribe(topic, subscription);
  }

  @Override
  public void unsubscribe(String topic, String subscription) {
    inner.unsubscribe(topic, subscription);
  }

  @Override
  public List<Message> pull(PullRequest request) {
    return inner.pull(request);
  }

  @Override
  public List<String> ack(AckRequest request) {
    return inner.ack(request);
  }

  @Override
  public void close() {
    inner.close();
  }
}
