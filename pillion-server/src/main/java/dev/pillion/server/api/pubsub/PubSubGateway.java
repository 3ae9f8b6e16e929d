package dev.pillion.server.api.pubsub;

import dev.pillion.Pillion;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PubSubException;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.spi.ComponentCalls;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * What the HTTP and gRPC mappings of pub/sub share: finding the component, running a command where
 * its component belongs, and turning publish failures into daprd's errors.
 */
final class PubSubGateway {
  private final Pillion runtime;
  private final ComponentCalls calls;

  PubSubGateway(Pillion runtime, ComponentCalls calls) {
    this.runtime = runtime;
    this.calls = calls;
  }

  /**
   * A pub/sub component by name, for a topic.
   *
   * @throws DaprApiException ERR_PUBSUB_EMPTY, ERR_PUBSUB_NOT_FOUND, ERR_PUBSUB_NOT_CONFIGURED or
   *     ERR_TOPIC_NAME_EMPTY
   */
  PubSub pubsub(String name, String topic) {
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
   * @param command the event and its component
   * @return done, or daprd's error
   */
  CompletionStage<Void> execute(PublishCommand command) {
    PubSub target = pubsub(command.pubsub(), command.request().topic());
    return run(
        command.pubsub(),
        () -> {
          target.publish(command.request());
          return null;
        });
  }

  /**
   * Publishes many events.
   *
   * @param command the events and their component
   * @return the entries that failed, or daprd's error
   */
  CompletionStage<List<PubSub.BulkPublishFailure>> execute(BulkPublishCommand command) {
    PubSub target = pubsub(command.pubsub(), command.topic());
    return run(
        command.pubsub(),
        () -> target.bulkPublish(command.topic(), command.entries(), command.metadata()));
  }

  private <T> CompletionStage<T> run(String pubsub, Supplier<T> work) {
    return calls.call(
        pubsub,
        () -> {
          try {
            return work.get();
          } catch (PubSubException e) {
            throw new DaprApiException(DaprApiError.fromPublish(e));
          }
        });
  }
}
