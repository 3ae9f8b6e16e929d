package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.BulkEntry;
import dev.pillion.pubsub.BulkSubscribe;
import dev.pillion.pubsub.CloudEvents;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Declared subscriptions with {@code spec.bulkSubscribe} and {@code rawPayload} metadata: parsing,
 * errors that name the field, and delivery to an app's routes a batch per route.
 */
class DeclarativeBulkSubscriptionTest {
  @TempDir Path resources;

  private static final String PUBSUB =
      "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
          + "spec:\n  type: pubsub.in-memory\n  version: v1\n";

  private void write(String file, String yaml) throws IOException {
    Files.writeString(resources.resolve(file), yaml);
  }

  private static String subscription(String spec) {
    return "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: orders\n"
        + "spec:\n  pubsubname: pubsub\n  topic: orders\n  routes:\n    default: /orders\n"
        + spec;
  }

  private static String event(String type) {
    return "{\"specversion\":\"1.0\",\"id\":\""
        + type
        + "\",\"source\":\"test\",\"type\":\""
        + type
        + "\",\"datacontenttype\":\"application/json\",\"data\":{}}";
  }

  @Test
  void bulkSubscribeAndRawPayloadAreRead() throws Exception {
    write("pubsub.yaml", PUBSUB);
    write(
        "subscription.yaml",
        subscription(
            "  bulkSubscribe:\n    enabled: true\n    maxMessagesCount: 7\n"
                + "    maxAwaitDurationMs: 40\n  metadata:\n    rawPayload: \"true\"\n"));
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      SubscriptionDefinition definition = runtime.declaredSubscriptions().get(0);
      assertThat(definition.bulkSubscribe())
          .isEqualTo(new BulkSubscribe(true, 7, Duration.ofMillis(40)));
      assertThat(definition.rawPayload()).isTrue();
    }
    write("subscription.yaml", subscription("  bulkSubscribe:\n    enabled: true\n"));
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      SubscriptionDefinition definition = runtime.declaredSubscriptions().get(0);
      assertThat(definition.bulkSubscribe())
          .as("Dapr's defaults")
          .isEqualTo(new BulkSubscribe(true, 100, Duration.ofSeconds(1)));
      assertThat(definition.rawPayload()).isFalse();
    }
    write("subscription.yaml", subscription("  bulkSubscribe:\n    enabled: false\n"));
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      assertThat(runtime.declaredSubscriptions().get(0).bulkSubscribe().enabled()).isFalse();
    }
  }

  @Test
  void badSettingsAreErrorsNamingTheField() throws IOException {
    write("pubsub.yaml", PUBSUB);
    Map<String, String> cases =
        Map.of(
            "  bulkSubscribe:\n    enabled: yes-please\n",
            "spec.bulkSubscribe.enabled must be true or false, got 'yes-please'",
            "  bulkSubscribe:\n    enabled: true\n    maxMessagesCount: -3\n",
            "spec.bulkSubscribe.maxMessagesCount must be between 1 and",
            "  bulkSubscribe:\n    enabled: true\n    maxAwaitDurationMs: soon\n",
            "spec.bulkSubscribe.maxAwaitDurationMs must be a whole number, got 'soon'",
            "  bulkSubscribe:\n    enabled: true\n    maxMessages: 3\n",
            "unknown field 'spec.bulkSubscribe.maxMessages'",
            "  bulkSubscribe: true\n",
            "spec.bulkSubscribe must be a mapping",
            "  metadata:\n    rawPayload: maybe\n",
            "spec.metadata.rawPayload must be true or false, got 'maybe'");
    for (Map.Entry<String, String> bad : cases.entrySet()) {
      write("subscription.yaml", subscription(bad.getKey()));
      assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
          .as(bad.getKey())
          .isInstanceOf(ComponentConfigException.class)
          .hasMessageContaining("subscription 'orders'")
          .hasMessageContaining(bad.getValue());
    }
  }

  @Test
  void aBatchGoesToTheAppOneRequestPerRouteAndUnroutedEntriesAreDropped() throws Exception {
    write("pubsub.yaml", PUBSUB);
    write(
        "subscription.yaml",
        """
        apiVersion: dapr.io/v2alpha1
        kind: Subscription
        metadata:
          name: orders
        spec:
          pubsubname: pubsub
          topic: orders
          routes:
            rules:
            - match: event.type == "created"
              path: /created
            - match: event.type == "cancelled"
              path: /cancelled
          bulkSubscribe:
            enabled: true
            maxMessagesCount: 10
            maxAwaitDurationMs: 300
        """);
    BlockingQueue<String> requests = new LinkedBlockingQueue<>();
    AppChannel app =
        new AppChannel() {
          @Override
          public DeliveryResult deliver(String route, Event event) {
            throw new AssertionError("a bulk subscription delivers batches");
          }

          @Override
          public Map<String, DeliveryResult> deliverBulk(String route, List<BulkEntry> entries) {
            requests.add(
                route
                    + " "
                    + entries.stream()
                        .map(entry -> entry.event().type())
                        .reduce((a, b) -> a + "," + b)
                        .orElse(""));
            Map<String, DeliveryResult> results = new HashMap<>();
            entries.forEach(entry -> results.put(entry.entryId(), DeliveryResult.SUCCESS));
            results.put("someone-else's", DeliveryResult.SUCCESS);
            return results;
          }
        };
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      List<Subscription> running = runtime.startSubscriptions(app, List.of());
      for (String type : List.of("created", "other", "cancelled", "created")) {
        runtime
            .pubsub("pubsub")
            .publish(
                PublishRequest.builder("orders", event(type))
                    .contentType(CloudEvents.CONTENT_TYPE)
                    .build());
      }
      assertThat(List.of(requests.poll(10, TimeUnit.SECONDS), requests.poll(10, TimeUnit.SECONDS)))
          .containsExactlyInAnyOrder("/created created,created", "/cancelled cancelled");
      // A marker published last is the next request: 'other' was dropped, not delivered anywhere.
      runtime
          .pubsub("pubsub")
          .publish(
              PublishRequest.builder("orders", event("cancelled"))
                  .contentType(CloudEvents.CONTENT_TYPE)
                  .build());
      assertThat(requests.poll(10, TimeUnit.SECONDS))
          .as("'other' was dropped")
          .isEqualTo("/cancelled cancelled");
      assertThat(running).allSatisfy(s -> assertThat(s.stuckMessages()).isZero());
      running.forEach(Subscription::close);
    }
  }

  @Test
  void embeddedHandlersReceiveABulkSubscriptionEventByEvent() throws Exception {
    write("pubsub.yaml", PUBSUB);
    write(
        "subscription.yaml",
        subscription("  bulkSubscribe:\n    enabled: true\n    maxAwaitDurationMs: 50\n"));
    BlockingQueue<Event> received = new LinkedBlockingQueue<>();
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      List<Subscription> running =
          runtime.startSubscriptions(
              AppChannel.of(
                  Map.of(
                      "/orders",
                      event -> {
                        received.add(event);
                        if (event.type().equals("fails-once") && event.deliveryCount() == 1) {
                          throw new IllegalStateException("not yet");
                        }
                        return DeliveryResult.SUCCESS;
                      })),
              List.of());
      for (String type : List.of("fails-once", "fine")) {
        runtime
            .pubsub("pubsub")
            .publish(
                PublishRequest.builder("orders", event(type))
                    .contentType(CloudEvents.CONTENT_TYPE)
                    .build());
      }
      List<String> seen = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Event event = received.poll(10, TimeUnit.SECONDS);
        assertThat(event).isNotNull();
        seen.add(event.type() + "#" + event.deliveryCount());
      }
      assertThat(seen).containsExactlyInAnyOrder("fails-once#1", "fine#1", "fails-once#2");
      running.forEach(Subscription::close);
    }
  }
}
