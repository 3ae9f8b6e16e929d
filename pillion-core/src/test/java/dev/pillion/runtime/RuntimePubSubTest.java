package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.BulkEntryIdException;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PubSubNotFoundException;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pub/sub components from Dapr YAML, reached through the embedded runtime. */
class RuntimePubSubTest {
  @TempDir Path resources;

  @Test
  void publishesAndSubscribesInProcessFromDaprYaml() throws IOException, InterruptedException {
    Files.writeString(
        resources.resolve("pubsub.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
            + "spec:\n  type: pubsub.in-memory\n  version: v1\n");
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("shop").build()) {
      assertThat(runtime.pubsubNames()).containsExactly("pubsub");
      assertThat(runtime.components())
          .extracting(Pillion.LoadedComponent::type)
          .containsExactly("pubsub.in-memory");
      CountDownLatch received = new CountDownLatch(1);
      try (Subscription subscription =
          runtime
              .pubsub("pubsub")
              .subscribe(
                  SubscriptionOptions.builder("orders").build(),
                  event -> {
                    assertThat(event.source()).isEqualTo("shop");
                    received.countDown();
                    return DeliveryResult.SUCCESS;
                  })) {
        assertThat(subscription.subscriptionName()).isEqualTo("shop");
        runtime.pubsub("pubsub").publish(PublishRequest.builder("orders", "{\"id\":1}").build());
        assertThat(received.await(10, TimeUnit.SECONDS)).isTrue();
      }
    }
  }

  @Test
  void aBulkPublishWithAMissingOrRepeatedEntryIdIsRefusedWholeAndPublishesNothing()
      throws InterruptedException {
    try (Pillion runtime =
        Pillion.builder()
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build()) {
      BlockingQueue<String> received = new LinkedBlockingQueue<>();
      try (Subscription subscription =
          runtime
              .pubsub("pubsub")
              .subscribe(
                  SubscriptionOptions.builder("orders").build(),
                  event -> {
                    received.add(event.dataAsString());
                    return DeliveryResult.SUCCESS;
                  })) {
        PubSub pubsub = runtime.pubsub("pubsub");
        assertThatThrownBy(
                () ->
                    pubsub.bulkPublish(
                        "orders",
                        List.of(entry("a", "1"), entry("b", "2"), entry("a", "3")),
                        Map.of()))
            .isInstanceOf(BulkEntryIdException.class)
            .hasMessageContaining("entries[2] has the entryId 'a' of entries[0]")
            .hasMessageContaining("nothing was published");
        assertThatThrownBy(
                () ->
                    pubsub.bulkPublish(
                        "orders", List.of(entry("a", "1"), entry("", "2")), Map.of()))
            .isInstanceOf(BulkEntryIdException.class)
            .hasMessageContaining("entries[1] has no entryId");
        assertThat(pubsub.bulkPublish("orders", List.of(entry("ok", "good")), Map.of())).isEmpty();
        assertThat(received.poll(10, TimeUnit.SECONDS))
            .as("the refused entries were not published")
            .isEqualTo("good");
        // A marker published last arrives next: nothing of the refused publishes came in between.
        assertThat(pubsub.bulkPublish("orders", List.of(entry("m", "marker")), Map.of())).isEmpty();
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("marker");
      }
    }
  }

  private static PubSub.BulkPublishEntry entry(String id, String data) {
    return new PubSub.BulkPublishEntry(
        id, data.getBytes(java.nio.charset.StandardCharsets.UTF_8), "text/plain", Map.of());
  }

  @Test
  void unknownPubSubNamesTheConfiguredOnes() {
    try (Pillion runtime = Pillion.builder().build()) {
      assertThatThrownBy(() -> runtime.pubsub("nope"))
          .isInstanceOf(PubSubNotFoundException.class)
          .hasMessageContaining("no pub/sub components are configured");
    }
  }

  @Test
  void unknownPubSubTypeIsAClearError() throws IOException {
    Files.writeString(
        resources.resolve("kafka.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: events\n"
            + "spec:\n  type: pubsub.kafka\n  version: v1\n");
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .hasMessageContaining("type 'pubsub.kafka' is not supported")
        .hasMessageContaining("pubsub.in-memory, pubsub.wasm");
  }
}
