package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.Pillion;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An app whose subscriptions start after events were published to their topics (its publisher, or
 * another app's, was quicker): the in-memory broker kept them for it.
 */
class LateSubscriberTest {
  @TempDir Path resources;

  private void write(String pubsubMetadata) throws IOException {
    Files.writeString(
        resources.resolve("pubsub.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
            + "spec:\n  type: pubsub.in-memory\n  version: v1\n"
            + pubsubMetadata);
    Files.writeString(
        resources.resolve("subscription.yaml"),
        """
        apiVersion: dapr.io/v2alpha1
        kind: Subscription
        metadata:
          name: orders
        spec:
          pubsubname: pubsub
          topic: orders
          routes:
            default: /orders
        """);
  }

  private static void publish(Pillion runtime, String data) {
    runtime
        .pubsub("pubsub")
        .publish(PublishRequest.builder("orders", data).contentType("text/plain").build());
  }

  private static AppChannel app(BlockingQueue<String> received) {
    return AppChannel.of(
        Map.of(
            "/orders",
            event -> {
              received.add(event.dataAsString());
              return DeliveryResult.SUCCESS;
            }));
  }

  @Test
  void eventsPublishedBeforeTheAppSubscribedAreDeliveredWhenItDoes() throws Exception {
    write("");
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("shop").build()) {
      for (int i = 1; i <= 3; i++) {
        publish(runtime, "order-" + i);
      }
      List<Subscription> subscriptions = runtime.startSubscriptions(app(received), List.of());
      try {
        publish(runtime, "order-4");
        for (int i = 1; i <= 4; i++) {
          assertThat(received.poll(20, TimeUnit.SECONDS)).isEqualTo("order-" + i);
        }
      } finally {
        subscriptions.forEach(Subscription::close);
      }
    }
  }

  @Test
  void withoutRetentionTheyAreDroppedAsDaprdDoes() throws Exception {
    write("  metadata:\n  - name: retainUntilSubscribed\n    value: \"false\"\n");
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("shop").build()) {
      publish(runtime, "lost");
      List<Subscription> subscriptions = runtime.startSubscriptions(app(received), List.of());
      try {
        publish(runtime, "after");
        assertThat(received.poll(20, TimeUnit.SECONDS)).isEqualTo("after");
        assertThat(received).isEmpty();
      } finally {
        subscriptions.forEach(Subscription::close);
      }
    }
  }
}
