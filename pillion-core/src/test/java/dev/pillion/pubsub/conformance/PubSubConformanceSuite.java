package dev.pillion.pubsub.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.pubsub.CloudEvents;
import dev.pillion.pubsub.DefaultPubSub;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.InvalidPublishException;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.pubsub.spi.PubSubComponent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pub/sub conformance suite, modelled on Dapr components-contrib's: every pub/sub component
 * runs it through the building block ({@link DefaultPubSub}); subclasses only say how to create a
 * fresh component.
 */
public abstract class PubSubConformanceSuite {
  protected static final String APP_ID = "conformance";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);

  protected DefaultPubSub pubsub;
  private final List<Subscription> subscriptions = new ArrayList<>();

  /**
   * Creates a fresh component named {@code pubsub}.
   *
   * @return the component under test
   */
  protected abstract PubSubComponent createComponent();

  /**
   * The features the component under test declares, exactly: the suite's scenarios adapt to what a
   * component declares, so a change in the set should be a decision, not pass unnoticed.
   *
   * @return the feature names, such as {@code BULK_PUBLISH}
   */
  protected abstract Set<String> expectedFeatures();

  @BeforeEach
  void create() {
    pubsub = DefaultPubSub.create("pubsub", createComponent(), APP_ID);
  }

  @AfterEach
  void close() {
    subscriptions.forEach(Subscription::close);
    pubsub.close();
  }

  private Subscription subscribe(
      SubscriptionOptions.Builder options, dev.pillion.pubsub.EventHandler handler) {
    Subscription subscription =
        pubsub.subscribe(
            options.backoff(Duration.ofMillis(10), Duration.ofMillis(50)).build(), handler);
    subscriptions.add(subscription);
    return subscription;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    await(condition, what, WAIT);
  }

  private static void await(BooleanSupplier condition, String what, Duration wait)
      throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  private void publish(String topic, String data) {
    pubsub.publish(PublishRequest.builder(topic, data).contentType("text/plain").build());
  }

  @Test
  void declaresExactlyTheExpectedFeatures() {
    assertThat(pubsub.features())
        .as("the features the component declares")
        .containsExactlyInAnyOrderElementsOf(expectedFeatures());
  }

  @Test
  void declaresOnlyDaprsPubSubFeatures() {
    // BULK_PUBLISH needs no gate: the adapter publishes entry by entry without it, and the bulk
    // scenario below runs either way.
    assertThat(pubsub.features())
        .isSubsetOf("BULK_PUBLISH", "SUBSCRIBE_WILDCARDS", "MESSAGE_TTL", "BULK_SUBSCRIBE");
  }

  @Test
  void everyMessageIsDeliveredInOrderDespiteFailures() throws Exception {
    int n = 60;
    List<String> delivered = Collections.synchronizedList(new ArrayList<>());
    Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    subscribe(
        SubscriptionOptions.builder("orders"),
        event -> {
          String data = event.dataAsString();
          // Every 7th message fails its first delivery, to force a redelivery.
          if (Integer.parseInt(data) % 7 == 0 && failedOnce.add(data)) {
            return DeliveryResult.RETRY;
          }
          delivered.add(data);
          return DeliveryResult.SUCCESS;
        });
    for (int i = 0; i < n; i++) {
      publish("orders", Integer.toString(i));
    }
    await(() -> delivered.size() >= n, n + " deliveries");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      expected.add(Integer.toString(i));
    }
    assertThat(delivered).containsExactlyElementsOf(expected);
    assertThat(failedOnce).hasSize((n + 6) / 7);
  }

  @Test
  void concurrentHandlersDeliverEverything() throws Exception {
    int n = 100;
    Set<String> delivered = ConcurrentHashMap.newKeySet();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    subscribe(
        SubscriptionOptions.builder("parallel").concurrency(4),
        event -> {
          maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          Thread.sleep(2);
          inFlight.decrementAndGet();
          delivered.add(event.dataAsString());
          return DeliveryResult.SUCCESS;
        });
    for (int i = 0; i < n; i++) {
      publish("parallel", Integer.toString(i));
    }
    await(() -> delivered.size() == n, "all deliveries");
    assertThat(maxInFlight.get()).isBetween(1, 4);
  }

  @Test
  void everySubscriptionGetsEveryMessageAndConsumersOfOneShareThem() throws Exception {
    List<String> billing = new CopyOnWriteArrayList<>();
    List<String> shipping = new CopyOnWriteArrayList<>();
    List<String> workerA = new CopyOnWriteArrayList<>();
    List<String> workerB = new CopyOnWriteArrayList<>();
    subscribe(SubscriptionOptions.builder("fanout").subscriptionName("billing"), record(billing));
    subscribe(SubscriptionOptions.builder("fanout").subscriptionName("shipping"), record(shipping));
    subscribe(SubscriptionOptions.builder("fanout").subscriptionName("workers"), record(workerA));
    subscribe(SubscriptionOptions.builder("fanout").subscriptionName("workers"), record(workerB));
    for (int i = 0; i < 20; i++) {
      publish("fanout", Integer.toString(i));
    }
    await(() -> billing.size() == 20 && shipping.size() == 20, "both subscriptions");
    await(() -> workerA.size() + workerB.size() == 20, "the shared subscription");
    assertThat(billing).hasSize(20);
    List<String> shared = new ArrayList<>(workerA);
    shared.addAll(workerB);
    assertThat(shared).doesNotHaveDuplicates().hasSize(20);
  }

  /**
   * Events published while a topic has no subscription are kept for its first subscription, which
   * gets them first and in order (daprd's in-memory broker drops them); a later subscription starts
   * with the next event published, as a new consumer group of a Dapr broker does.
   */
  @Test
  void theFirstSubscriptionGetsWhatWasPublishedBeforeItAndLaterOnesStartFromNow() throws Exception {
    for (int i = 0; i < 5; i++) {
      publish("early", Integer.toString(i));
    }
    List<String> first = new CopyOnWriteArrayList<>();
    subscribe(SubscriptionOptions.builder("early").subscriptionName("first"), record(first));
    await(() -> first.size() == 5, "the kept events");
    assertThat(first).containsExactly("0", "1", "2", "3", "4");
    List<String> second = new CopyOnWriteArrayList<>();
    subscribe(SubscriptionOptions.builder("early").subscriptionName("second"), record(second));
    publish("early", "5");
    await(() -> first.size() == 6 && !second.isEmpty(), "the next event, for both");
    // In order (concurrency 1): had the second subscription got the kept events, "0" came first.
    assertThat(second).containsExactly("5");
    assertThat(first).endsWith("5");
  }

  private static dev.pillion.pubsub.EventHandler record(List<String> into) {
    return event -> {
      into.add(event.dataAsString());
      return DeliveryResult.SUCCESS;
    };
  }

  @Test
  void bulkPublishDeliversEachEntryAndReportsFailures() throws Exception {
    List<String> delivered = new CopyOnWriteArrayList<>();
    subscribe(SubscriptionOptions.builder("bulk"), record(delivered));
    List<PubSub.BulkPublishEntry> entries = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      entries.add(
          new PubSub.BulkPublishEntry(
              "e" + i, ("m" + i).getBytes(StandardCharsets.UTF_8), "text/plain", Map.of()));
    }
    entries.add(
        new PubSub.BulkPublishEntry(
            "bad", "{not json".getBytes(StandardCharsets.UTF_8), "application/json", Map.of()));
    List<PubSub.BulkPublishFailure> failures = pubsub.bulkPublish("bulk", entries, Map.of());
    assertThat(failures).extracting(PubSub.BulkPublishFailure::entryId).containsExactly("bad");
    await(() -> delivered.size() == 10, "bulk deliveries");
    assertThat(delivered).startsWith("m0", "m1", "m2");
  }

  @Test
  void exhaustedRetriesGoToTheDeadLetterTopic() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    List<Event> dead = new CopyOnWriteArrayList<>();
    CountDownLatch next = new CountDownLatch(1);
    subscribe(
        SubscriptionOptions.builder("dlq-dead"),
        event -> {
          dead.add(event);
          return DeliveryResult.SUCCESS;
        });
    Subscription poison =
        subscribe(
            SubscriptionOptions.builder("poison").maxRetries(2).deadLetterTopic("dlq-dead"),
            event -> {
              if (event.dataAsString().equals("next")) {
                next.countDown();
                return DeliveryResult.SUCCESS;
              }
              attempts.incrementAndGet();
              return DeliveryResult.RETRY;
            });
    publish("poison", "bad message");
    await(() -> dead.size() == 1, "the dead letter");
    assertThat(attempts.get()).isEqualTo(3);
    assertThat(dead.get(0).dataAsString()).isEqualTo("bad message");
    // Delivery is in order: once "next" is handled, the bad message is gone for good.
    publish("poison", "next");
    assertThat(next.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(attempts.get()).as("no further deliveries after dead-lettering").isEqualTo(3);
    assertThat(poison.stuckMessages()).isZero();
  }

  @Test
  void withoutDeadLetterTopicAFailingEventIsRetriedPastTheLimitUntilItSucceeds() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    AtomicBoolean healed = new AtomicBoolean();
    List<Event> handled = new CopyOnWriteArrayList<>();
    Subscription hopeless =
        subscribe(
            SubscriptionOptions.builder("hopeless").maxRetries(1),
            event -> {
              attempts.incrementAndGet();
              if (!healed.get()) {
                throw new IllegalStateException("always fails");
              }
              handled.add(event);
              return DeliveryResult.SUCCESS;
            });
    publish("hopeless", "x");
    // The old policy dropped it after 2 attempts; it must keep coming back, and show as stuck.
    await(() -> attempts.get() >= 6, "retries beyond maxRetries");
    await(() -> hopeless.stuckMessages() == 1, "the stuck count");
    assertThat(handled).isEmpty();
    healed.set(true);
    await(() -> handled.size() == 1, "the event handled after its handler recovered");
    assertThat(handled.get(0).dataAsString()).isEqualTo("x");
    assertThat(handled.get(0).deliveryCount()).isGreaterThanOrEqualTo(7);
    await(() -> hopeless.stuckMessages() == 0, "the stuck count to clear");
  }

  @Test
  void aDroppedStuckEventLeavesTheStuckCount() throws Exception {
    AtomicBoolean giveUp = new AtomicBoolean();
    CountDownLatch dropped = new CountDownLatch(1);
    Subscription subscription =
        subscribe(
            SubscriptionOptions.builder("give-up").maxRetries(0),
            event -> {
              if (giveUp.get()) {
                dropped.countDown();
                return DeliveryResult.DROP;
              }
              return DeliveryResult.RETRY;
            });
    publish("give-up", "x");
    await(() -> subscription.stuckMessages() == 1, "the stuck count");
    giveUp.set(true);
    assertThat(dropped.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    await(() -> subscription.stuckMessages() == 0, "the stuck count to clear");
  }

  /**
   * The reproduction of issue 8's silent drop: a subscriber failing 30% of deliveries at random and
   * no dead-letter topic. Under the old policy (5 retries, then drop) seed 9 loses 2 of the 1,000
   * messages, as in the report; now every one is handled, exactly once successfully.
   */
  @Test
  void aFlakySubscriberWithoutDeadLetterTopicLosesNothingInOrder() throws Exception {
    flakySubscriberLosesNothing("flaky-ordered", 1);
  }

  @Test
  void aFlakySubscriberWithoutDeadLetterTopicLosesNothingConcurrently() throws Exception {
    flakySubscriberLosesNothing("flaky-parallel", 4);
  }

  private void flakySubscriberLosesNothing(String topic, int concurrency) throws Exception {
    int n = 1000;
    long seed = 9;
    int maxRetries = SubscriptionOptions.builder(topic).build().maxRetries();
    int[] expectedDeliveries = new int[n];
    int beyondOldLimit = 0;
    for (int i = 0; i < n; i++) {
      int delivery = 1;
      while (failsDelivery(seed, i, delivery)) {
        delivery++;
      }
      expectedDeliveries[i] = delivery;
      beyondOldLimit += delivery > maxRetries + 1 ? 1 : 0;
    }
    assertThat(beyondOldLimit)
        .as("messages the old policy dropped (they failed 1 + maxRetries deliveries in a row)")
        .isEqualTo(2);

    Map<Integer, List<Integer>> deliveries = new ConcurrentHashMap<>();
    Set<Integer> succeeded = ConcurrentHashMap.newKeySet();
    Set<Integer> inFlight = ConcurrentHashMap.newKeySet();
    List<String> violations = new CopyOnWriteArrayList<>();
    AtomicInteger maxStuck = new AtomicInteger();
    AtomicReference<Subscription> self = new AtomicReference<>();
    Subscription subscription =
        pubsub.subscribe(
            SubscriptionOptions.builder(topic)
                .concurrency(concurrency)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(4))
                .build(),
            event -> {
              int index = Integer.parseInt(event.dataAsString());
              if (!inFlight.add(index)) {
                violations.add(index + " delivered while in flight");
              }
              try {
                deliveries
                    .computeIfAbsent(index, k -> new CopyOnWriteArrayList<>())
                    .add(event.deliveryCount());
                Subscription running = self.get();
                if (running != null) {
                  maxStuck.accumulateAndGet(running.stuckMessages(), Math::max);
                }
                if (failsDelivery(seed, index, event.deliveryCount())) {
                  throw new IllegalStateException("flaky failure of " + index);
                }
                if (!succeeded.add(index)) {
                  violations.add(index + " succeeded twice");
                }
                return DeliveryResult.SUCCESS;
              } finally {
                inFlight.remove(index);
              }
            });
    self.set(subscription);
    subscriptions.add(subscription);
    for (int i = 0; i < n; i++) {
      publish(topic, Integer.toString(i));
    }
    await(() -> succeeded.size() == n, n + " successful deliveries", Duration.ofMinutes(3));
    assertThat(violations).isEmpty();
    for (int i = 0; i < n; i++) {
      List<Integer> expected = new ArrayList<>();
      for (int d = 1; d <= expectedDeliveries[i]; d++) {
        expected.add(d);
      }
      // Every delivery the broker made reached the handler once, in sequence: no lease expired
      // while the message waited for its retry, and nothing was delivered twice.
      assertThat(deliveries.get(i)).as("deliveries of message %d", i).isEqualTo(expected);
    }
    assertThat(maxStuck.get()).as("the stuck messages were visible while retried").isPositive();
    await(() -> subscription.stuckMessages() == 0, "the stuck count to clear");
  }

  /** Whether a delivery fails: a fixed function of the seed, the message and the delivery. */
  private static boolean failsDelivery(long seed, int index, int delivery) {
    long z = seed + index * 0x9E3779B97F4A7C15L + delivery * 0xD1B54A32D192ED03L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return (z >>> 11) * 0x1.0p-53 < 0.3;
  }

  @Test
  void dropDiscardsWithoutRetry() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    CountDownLatch next = new CountDownLatch(1);
    subscribe(
        SubscriptionOptions.builder("drops"),
        event -> {
          if (event.dataAsString().equals("drop me")) {
            attempts.incrementAndGet();
            return DeliveryResult.DROP;
          }
          next.countDown();
          return DeliveryResult.SUCCESS;
        });
    publish("drops", "drop me");
    publish("drops", "next");
    // In order: "next" is handled only after "drop me" was settled, so no retry can follow.
    assertThat(next.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(attempts.get()).isEqualTo(1);
  }

  @Test
  void aHangingHandlerTimesOutAndIsRetried() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(1);
    subscribe(
        SubscriptionOptions.builder("slow").handlerTimeout(Duration.ofMillis(200)),
        event -> {
          if (attempts.incrementAndGet() == 1) {
            Thread.sleep(60_000);
          }
          done.countDown();
          return DeliveryResult.SUCCESS;
        });
    publish("slow", "x");
    assertThat(done.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
    assertThat(attempts.get()).isEqualTo(2);
  }

  @Test
  void eventsAreCloudEvents() throws Exception {
    List<Event> events = new CopyOnWriteArrayList<>();
    subscribe(
        SubscriptionOptions.builder("envelope"),
        event -> {
          events.add(event);
          return DeliveryResult.SUCCESS;
        });
    pubsub.publish(
        PublishRequest.builder("envelope", "{\"orderId\":42}")
            .contentType("application/json")
            .traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            .build());
    pubsub.publish(
        PublishRequest.builder("envelope", new byte[] {0, 1, 2, (byte) 255})
            .contentType("application/octet-stream")
            .build());
    await(() -> events.size() == 2, "two events");

    Event json = events.get(0);
    JsonNode envelope = JSON.readTree(json.cloudEvent());
    assertThat(envelope.path("specversion").asText()).isEqualTo("1.0");
    assertThat(envelope.path("type").asText()).isEqualTo(CloudEvents.DAPR_EVENT_TYPE);
    assertThat(envelope.path("source").asText()).isEqualTo(APP_ID);
    assertThat(envelope.path("id").asText()).isNotEmpty();
    assertThat(envelope.path("topic").asText()).isEqualTo("envelope");
    assertThat(envelope.path("pubsubname").asText()).isEqualTo("pubsub");
    assertThat(envelope.path("time").asText()).isNotEmpty();
    assertThat(envelope.path("datacontenttype").asText()).isEqualTo("application/json");
    assertThat(envelope.path("data").path("orderId").asInt()).isEqualTo(42);
    assertThat(json.attribute("traceparent"))
        .contains("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assertThat(JSON.readTree(json.data())).isEqualTo(JSON.readTree("{\"orderId\":42}"));
    assertThat(json.deliveryCount()).isEqualTo(1);

    Event binary = events.get(1);
    assertThat(JSON.readTree(binary.cloudEvent()).has("data_base64")).isTrue();
    assertThat(binary.data()).containsExactly(0, 1, 2, (byte) 255);
  }

  @Test
  void rawPayloadSkipsTheEnvelopeAndExistingCloudEventsKeepTheirFields() throws Exception {
    List<Event> events = new CopyOnWriteArrayList<>();
    subscribe(
        SubscriptionOptions.builder("raw"),
        event -> {
          events.add(event);
          return DeliveryResult.SUCCESS;
        });
    pubsub.publish(PublishRequest.builder("raw", "plain bytes").rawPayload().build());
    String existing =
        "{\"specversion\":\"1.0\",\"id\":\"my-id\",\"source\":\"elsewhere\",\"type\":\"order.created\","
            + "\"myextension\":\"kept\",\"datacontenttype\":\"text/plain\",\"data\":\"hello\"}";
    pubsub.publish(
        PublishRequest.builder("raw", existing).contentType(CloudEvents.CONTENT_TYPE).build());
    await(() -> events.size() == 2, "two events");
    assertThat(new String(events.get(0).cloudEvent(), StandardCharsets.UTF_8))
        .isEqualTo("plain bytes");
    Event kept = events.get(1);
    assertThat(kept.id()).isEqualTo("my-id");
    assertThat(kept.source()).isEqualTo("elsewhere");
    assertThat(kept.type()).isEqualTo("order.created");
    assertThat(kept.attribute("myextension")).contains("kept");
    assertThat(kept.attribute("topic")).contains("raw");
    assertThat(kept.dataAsString()).isEqualTo("hello");
  }

  @Test
  void badInputIsRefusedClearly() {
    assertThatThrownBy(() -> publish("", "x"))
        .isInstanceOf(InvalidPublishException.class)
        .hasMessageContaining("topic is empty");
    assertThatThrownBy(
            () ->
                pubsub.publish(
                    PublishRequest.builder("t", "{not an event")
                        .contentType(CloudEvents.CONTENT_TYPE)
                        .build()))
        .isInstanceOf(InvalidPublishException.class)
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(
            () ->
                pubsub.publish(
                    PublishRequest.builder("t", "{broken").contentType("application/json").build()))
        .isInstanceOf(InvalidPublishException.class)
        .hasMessageContaining("is not valid JSON");
  }
}
