package dev.pillion.server;

import dev.pillion.Pillion;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PubSubException;
import dev.pillion.pubsub.PublishRequest;
import java.util.List;
import java.util.Map;

/**
 * What the HTTP and gRPC faces share for pub/sub: finding the component and mapping publish
 * failures.
 */
public final class PubSubGateway {
  private final Pillion runtime;

  /**
   * Creates the gateway.
   *
   * @param runtime the runtime whose pub/sub components are served
   */
  public PubSubGateway(Pillion runtime) {
    this.runtime = runtime;
  }

  private PubSub pubsub(String name, String topic) {
    if (name.isEmpty() || !runtime.pubsubNames().contains(name)) {
      throw new DaprApiException(
          DaprApiError.pubsubNotFound(name, !runtime.pubsubNames().isEmpty()));
    }
    if (topic.isEmpty()) {
      throw new DaprApiException(DaprApiError.topicEmpty(name));
    }
    return runtime.pubsub(name);
  }

  /**
   * Publishes one event.
   *
   * @param pubsub the component's name
   * @param request the event
   * @throws DaprApiException with daprd's error
   */
  public void publish(String pubsub, PublishRequest request) {
    PubSub target = pubsub(pubsub, request.topic());
    try {
      target.publish(request);
    } catch (PubSubException e) {
      throw new DaprApiException(DaprApiError.fromPublish(e));
    }
  }

  /**
   * Publishes many events.
   *
   * @param pubsub the component's name
   * @param topic the topic
   * @param entries the events
   * @param metadata metadata for all entries
   * @return the failed entries
   * @throws DaprApiException with daprd's error
   */
  public List<PubSub.BulkPublishFailure> bulkPublish(
      String pubsub,
      String topic,
      List<PubSub.BulkPublishEntry> entries,
      Map<String, String> metadata) {
    PubSub target = pubsub(pubsub, topic);
    try {
      return target.bulkPublish(topic, entries, metadata);
    } catch (PubSubException e) {
      throw new DaprApiException(DaprApiError.fromPublish(e));
    }
  }
}
