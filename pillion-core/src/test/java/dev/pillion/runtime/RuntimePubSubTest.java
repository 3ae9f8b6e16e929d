package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PubSubNotFoundException;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
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
