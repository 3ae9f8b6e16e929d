package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.CloudEvents;
import dev.pillion.pubsub.DeclaredSubscriptions;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kind: Subscription} resources: parsing, scopes, CEL routing rules, and their errors. */
class DeclarativeSubscriptionTest {
  @TempDir Path resources;

  private static final String PUBSUB =
      "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
          + "spec:\n  type: pubsub.in-memory\n  version: v1\n";

  private void write(String file, String yaml) throws IOException {
    Files.writeString(resources.resolve(file), yaml);
  }

  private static String event(String type, String data) {
    return "{\"specversion\":\"1.0\",\"id\":\""
        + type
        + "-1\",\"source\":\"test\",\"type\":\""
        + type
        + "\",\"datacontenttype\":\"application/json\",\"data\":"
        + data
        + "}";
  }

  @Test
  void rulesRouteEventsAndTheDefaultCatchesTheRest() throws Exception {
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
            - match: event.type == "order.created" && event.data.total > 100
              path: /big-orders
            - match: event.type == "order.created"
              path: /orders
            default: /other
          deadLetterTopic: orders-dead
        scopes:
        - shop
        """);
    BlockingQueue<String> routed = new LinkedBlockingQueue<>();
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("shop").build()) {
      assertThat(runtime.declaredSubscriptions())
          .singleElement()
          .satisfies(
              definition -> {
                assertThat(definition.topic()).isEqualTo("orders");
                assertThat(definition.deadLetterTopic()).contains("orders-dead");
                assertThat(definition.routes().paths())
                    .containsExactly("/big-orders", "/orders", "/other");
              });
      List<Subscription> running =
          runtime.startSubscriptions(
              (route, event) -> {
                routed.add(route + " " + event.type());
                return DeliveryResult.SUCCESS;
              },
              List.of());
      assertThat(runtime.activeSubscriptions()).hasSize(1);
      var pubsub = runtime.pubsub("pubsub");
      pubsub.publish(
          PublishRequest.builder("orders", event("order.created", "{\"total\":500}"))
              .contentType(CloudEvents.CONTENT_TYPE)
              .build());
      pubsub.publish(
          PublishRequest.builder("orders", event("order.created", "{\"total\":5}"))
              .contentType(CloudEvents.CONTENT_TYPE)
              .build());
      pubsub.publish(
          PublishRequest.builder("orders", event("order.cancelled", "{}"))
              .contentType(CloudEvents.CONTENT_TYPE)
              .build());
      assertThat(routed.poll(10, TimeUnit.SECONDS)).isEqualTo("/big-orders order.created");
      assertThat(routed.poll(10, TimeUnit.SECONDS)).isEqualTo("/orders order.created");
      assertThat(routed.poll(10, TimeUnit.SECONDS)).isEqualTo("/other order.cancelled");
      running.forEach(Subscription::close);
      assertThat(runtime.activeSubscriptions()).isEmpty();
    }
    try (Pillion other = Pillion.builder().resourcesPath(resources).appId("billing").build()) {
      assertThat(other.declaredSubscriptions()).as("out of scope").isEmpty();
    }
  }

  @Test
  void embeddedHandlersByRouteAndUnmatchedEventsAreDropped() throws Exception {
    write("pubsub.yaml", PUBSUB);
    write(
        "subscription.yaml",
        "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: only-created\n"
            + "spec:\n  pubsubname: pubsub\n  topic: t\n  routes:\n    rules:\n"
            + "    - match: event.type == \"created\"\n      path: /created\n");
    BlockingQueue<Event> created = new LinkedBlockingQueue<>();
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("app").build()) {
      List<Subscription> running =
          runtime.startSubscriptions(
              AppChannel.of(
                  Map.of(
                      "/created",
                      event -> {
                        created.add(event);
                        return DeliveryResult.SUCCESS;
                      })),
              List.of());
      runtime
          .pubsub("pubsub")
          .publish(
              PublishRequest.builder("t", event("deleted", "{}"))
                  .contentType(CloudEvents.CONTENT_TYPE)
                  .build());
      runtime
          .pubsub("pubsub")
          .publish(
              PublishRequest.builder("t", event("created", "{}"))
                  .contentType(CloudEvents.CONTENT_TYPE)
                  .build());
      Event event = created.poll(10, TimeUnit.SECONDS);
      assertThat(event).isNotNull();
      assertThat(event.type()).isEqualTo("created");
      // A second 'created' published last is the next event: 'deleted' did not reach /created.
      runtime
          .pubsub("pubsub")
          .publish(
              PublishRequest.builder("t", event("created", "{\"marker\":true}"))
                  .contentType(CloudEvents.CONTENT_TYPE)
                  .build());
      Event marker = created.poll(10, TimeUnit.SECONDS);
      assertThat(marker).isNotNull();
      assertThat(marker.dataAsString()).isEqualTo("{\"marker\":true}");
      running.forEach(Subscription::close);
    }
  }

  @Test
  void aV1alpha1SubscriptionWithASingleRoute() throws Exception {
    write("pubsub.yaml", PUBSUB);
    write(
        "sub.yaml",
        "apiVersion: dapr.io/v1alpha1\nkind: Subscription\nmetadata:\n  name: simple\n"
            + "spec:\n  pubsubname: pubsub\n  topic: t\n  route: /t\n");
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      SubscriptionDefinition definition = runtime.declaredSubscriptions().get(0);
      assertThat(definition.routes().paths()).containsExactly("/t");
    }
  }

  @Test
  void aSubscriptionToAnUndefinedPubsubIsIgnoredWithAWarningAndTheRestLoad() throws Exception {
    write("pubsub.yaml", PUBSUB);
    write(
        "no-pubsub.yaml",
        "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: lost\n"
            + "spec:\n  pubsubname: kafka\n  topic: t\n  routes:\n    default: /t\n");
    write(
        "kept.yaml",
        "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: kept\n"
            + "spec:\n  pubsubname: pubsub\n  topic: t\n  routes:\n    default: /t\n");
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            logged.add(record);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger(DeclaredSubscriptions.class.getName());
    logger.addHandler(capture);
    BlockingQueue<String> delivered = new LinkedBlockingQueue<>();
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("app").build()) {
      assertThat(runtime.declaredSubscriptions())
          .extracting(SubscriptionDefinition::name)
          .containsExactly("kept");
      List<Subscription> running =
          runtime.startSubscriptions(
              (route, event) -> {
                delivered.add(route + " " + event.dataAsString());
                return DeliveryResult.SUCCESS;
              },
              List.of());
      runtime.pubsub("pubsub").publish(PublishRequest.builder("t", "hello").build());
      assertThat(delivered.poll(10, TimeUnit.SECONDS)).isEqualTo("/t hello");
      running.forEach(Subscription::close);
    } finally {
      logger.removeHandler(capture);
    }
    assertThat(logged)
        .filteredOn(record -> record.getLevel() == Level.WARNING)
        .singleElement()
        .satisfies(
            record ->
                assertThat(record.getMessage())
                    .contains(
                        "no-pubsub.yaml", "subscription 'lost'", "pubsub 'kafka'", "topic 't'")
                    .contains("is not defined (pub/sub components: pubsub)")
                    .contains("ignored"));
  }

  @Test
  void subscriptionsGivenAtStartThatCannotStartAreSkippedAndTheOthersStart() throws Exception {
    write("pubsub.yaml", PUBSUB);
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("app").build()) {
      SubscriptionDefinition unknown =
          dev.pillion.pubsub.SubscriptionDefinition.builder(
                  dev.pillion.pubsub.SubscriptionSource.PROGRAMMATIC, "app:nope/a", "nope", "a")
              .routes(dev.pillion.pubsub.Routes.single("/a"))
              .origin("/dapr/subscribe[0]")
              .build();
      SubscriptionDefinition good =
          dev.pillion.pubsub.SubscriptionDefinition.builder(
                  dev.pillion.pubsub.SubscriptionSource.PROGRAMMATIC, "app:pubsub/b", "pubsub", "b")
              .routes(dev.pillion.pubsub.Routes.single("/b"))
              .origin("/dapr/subscribe[1]")
              .build();
      List<Subscription> running =
          runtime.startSubscriptions(
              (route, event) -> DeliveryResult.SUCCESS, List.of(unknown, good));
      assertThat(running).hasSize(1);
      assertThat(runtime.activeSubscriptions()).containsExactly(good);
      running.forEach(Subscription::close);
    }
  }

  @Test
  void badSubscriptionsAreClearErrors() throws IOException {
    write("pubsub.yaml", PUBSUB);
    write(
        "bad-cel.yaml",
        "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: broken\n"
            + "spec:\n  pubsubname: pubsub\n  topic: t\n  routes:\n    rules:\n"
            + "    - match: event.type ==\n      path: /x\n");
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("subscription 'broken'")
        .hasMessageContaining("routes.rules[0].match");
    Files.delete(resources.resolve("bad-cel.yaml"));

    write(
        "no-route.yaml",
        "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: nowhere\n"
            + "spec:\n  pubsubname: pubsub\n  topic: t\n");
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("spec.route (or spec.routes) is missing");
  }
}
