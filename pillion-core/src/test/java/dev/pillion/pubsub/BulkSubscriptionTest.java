package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bulk subscriptions through the embedded API and the bundled broker: batch forming, per-entry
 * outcomes (an entry without a status is retried, never lost), the retry policy per entry, and
 * raw-payload subscriptions.
 */
class BulkSubscriptionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);
  private Pillion runtime;
  private PubSub pubsub;

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("app")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    pubsub = runtime.pubsub("pubsub");
  }

  @AfterEach
  void stop() {
    runtime.close();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  private void publish(String topic, String data) {
    pubsub.publish(PublishRequest.builder(topic, data).contentType("text/plain").build());
  }

  private static Map<String, DeliveryResult> all(List<BulkEntry> entries, DeliveryResult result) {
    Map<String, DeliveryResult> results = new HashMap<>();
    entries.forEach(entry -> results.put(entry.entryId(), result));
    return results;
  }

  @Test
  void eventsArriveInFullBatchesOfMaxMessagesInPublishOrder() throws Exception {
    List<List<String>> batches = new CopyOnWriteArrayList<>();
    try (Subscription subscription =
        pubsub.subscribeBulk(
            // The await window is far longer than publishing takes: every batch fills up.
            SubscriptionOptions.builder("orders").bulk(100, Duration.ofSeconds(10)).build(),
            entries -> {
              batches.add(entries.stream().map(entry -> entry.event().dataAsString()).toList());
              return all(entries, DeliveryResult.SUCCESS);
            })) {
      for (int i = 0; i < 300; i++) {
        publish("orders", String.format("order-%03d", i));
      }
      await(() -> batches.stream().mapToInt(List::size).sum() == 300, "300 events");
      assertThat(subscription.stuckMessages()).isZero();
    }
    assertThat(batches).extracting(List::size).containsExactly(100, 100, 100);
    List<String> delivered = batches.stream().flatMap(List::stream).toList();
    assertThat(delivered).doesNotHaveDuplicates().isSorted();
    assertThat(delivered.get(0)).isEqualTo("order-000");
  }

  @Test
  void aBatchWaitsUpToMaxAwaitForMoreEvents() throws Exception {
    BlockingQueue<List<BulkEntry>> batches = new LinkedBlockingQueue<>();
    try (Subscription subscription =
        pubsub.subscribeBulk(
            SubscriptionOptions.builder("slow").bulk(10, Duration.ofMillis(500)).build(),
            entries -> {
              batches.add(entries);
              return all(entries, DeliveryResult.SUCCESS);
            })) {
      long start = System.nanoTime();
      publish("slow", "a");
      // Time passing is the point: b and c arrive inside a's await window, not with it.
      Thread.sleep(100);
      publish("slow", "b");
      publish("slow", "c");
      List<BulkEntry> batch = batches.poll(10, TimeUnit.SECONDS);
      long waited = System.nanoTime() - start;
      assertThat(batch)
          .extracting(entry -> entry.event().dataAsString())
          .containsExactly("a", "b", "c");
      assertThat(Duration.ofNanos(waited)).isGreaterThanOrEqualTo(Duration.ofMillis(450));
      // Full batches go at once: ten events do not wait for the await window.
      start = System.nanoTime();
      for (int i = 0; i < 10; i++) {
        publish("slow", "full-" + i);
      }
      batch = batches.poll(10, TimeUnit.SECONDS);
      assertThat(batch).hasSize(10);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(450));
    }
  }

  @Test
  void anEntryWithoutAStatusIsDeliveredAgainNotLost() throws Exception {
    Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    Set<String> handled = ConcurrentHashMap.newKeySet();
    AtomicInteger calls = new AtomicInteger();
    try (Subscription subscription =
        pubsub.subscribeBulk(
            SubscriptionOptions.builder("partial")
                .bulk(100, Duration.ofMillis(100))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                // Every retried message counts as stuck until it is settled otherwise: the signal
                // that no entry is waiting for another delivery.
                .maxRetries(0)
                .build(),
            entries -> {
              Map<String, DeliveryResult> results = new LinkedHashMap<>();
              for (BulkEntry entry : entries) {
                String data = entry.event().dataAsString();
                deliveries.computeIfAbsent(data, d -> new AtomicInteger()).incrementAndGet();
                if (calls.get() == 0 && data.endsWith("1")) {
                  continue; // no status: like an SDK answering {"statuses": []} for it
                }
                if (calls.get() == 0 && data.endsWith("2")) {
                  results.put(entry.entryId(), DeliveryResult.RETRY);
                  continue;
                }
                handled.add(data);
                results.put(entry.entryId(), DeliveryResult.SUCCESS);
              }
              results.put("not-an-entry", DeliveryResult.SUCCESS);
              calls.incrementAndGet();
              return results;
            })) {
      for (int i = 0; i < 3; i++) {
        publish("partial", "event-" + i);
      }
      await(
          () -> handled.size() == 3 && subscription.stuckMessages() == 0,
          "every event handled and none waiting to be delivered again");
      assertThat(deliveries.get("event-0").get()).isEqualTo(1);
      assertThat(deliveries.get("event-1").get()).as("no status: delivered again").isEqualTo(2);
      assertThat(deliveries.get("event-2").get()).as("RETRY: delivered again").isEqualTo(2);
    }
  }

  @Test
  void aFailingHandlerRetriesTheWholeBatchAndDropEndsAnEntry() throws Exception {
    Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
    AtomicInteger calls = new AtomicInteger();
    try (Subscription subscription =
        pubsub.subscribeBulk(
            SubscriptionOptions.builder("failing")
                .bulk(100, Duration.ofMillis(100))
                .backoff(Duration.ofMillis(10), Duration.ofMillis(50))
                // Every retried message counts as stuck until it is settled otherwise: the signal
                // that no entry is waiting for another delivery.
                .maxRetries(0)
                .build(),
            entries -> {
              entries.forEach(
                  entry ->
                      deliveries
                          .computeIfAbsent(entry.event().dataAsString(), d -> new AtomicInteger())
                          .incrementAndGet());
              if (calls.getAndIncrement() == 0) {
                throw new IllegalStateException("the app is not ready");
              }
              Map<String, DeliveryResult> results = all(entries, DeliveryResult.SUCCESS);
              entries.stream()
                  .filter(entry -> entry.event().dataAsString().equals("unwanted"))
                  .forEach(entry -> results.put(entry.entryId(), DeliveryResult.DROP));
              return results;
            })) {
      publish("failing", "wanted");
      publish("failing", "unwanted");
      // The failed first batch left both stuck; the second settles them, the dropped one too.
      await(
          () -> calls.get() >= 2 && subscription.stuckMessages() == 0,
          "a second batch, settling both");
      assertThat(deliveries.get("wanted").get()).isEqualTo(2);
      assertThat(deliveries.get("unwanted").get()).as("dropped, not retried").isEqualTo(2);
    }
  }

  @Test
  void entriesFollowTheRetryPolicyOneByOneDeadLetterIncluded() throws Exception {
    BlockingQueue<Event> dead = new LinkedBlockingQueue<>();
    Set<String> handled = ConcurrentHashMap.newKeySet();
    try (Subscription deadLetters =
            pubsub.subscribe(
                SubscriptionOptions.builder("poison-dlq").build(),
                event -> {
                  dead.add(event);
                  return DeliveryResult.SUCCESS;
                });
        Subscription subscription =
            pubsub.subscribeBulk(
                SubscriptionOptions.builder("poison")
                    .bulk(100, Duration.ofMillis(50))
                    .maxRetries(2)
                    .backoff(Duration.ofMillis(5), Duration.ofMillis(20))
                    .deadLetterTopic("poison-dlq")
                    .build(),
                entries -> {
                  Map<String, DeliveryResult> results = new HashMap<>();
                  for (BulkEntry entry : entries) {
                    boolean poison = entry.event().dataAsString().equals("poison");
                    if (!poison) {
                      handled.add(entry.event().dataAsString());
                    }
                    results.put(
                        entry.entryId(), poison ? DeliveryResult.RETRY : DeliveryResult.SUCCESS);
                  }
                  return results;
                })) {
      publish("poison", "good-1");
      publish("poison", "poison");
      publish("poison", "good-2");
      Event deadLetter = dead.poll(10, TimeUnit.SECONDS);
      assertThat(deadLetter).isNotNull();
      assertThat(deadLetter.dataAsString()).isEqualTo("poison");
      assertThat(handled).containsExactlyInAnyOrder("good-1", "good-2");
      assertThat(subscription.stuckMessages()).isZero();
    }
  }

  @Test
  void withoutADeadLetterTopicAFailingEntryIsNeverDroppedNorHoldsUpTheTopic() throws Exception {
    List<String> handled = new CopyOnWriteArrayList<>();
    AtomicInteger poisonDeliveries = new AtomicInteger();
    try (Subscription subscription =
        pubsub.subscribeBulk(
            SubscriptionOptions.builder("stuck")
                .bulk(100, Duration.ofMillis(20))
                .maxRetries(1)
                .backoff(Duration.ofMillis(5), Duration.ofMillis(20))
                .build(),
            entries -> {
              Map<String, DeliveryResult> results = new HashMap<>();
              for (BulkEntry entry : entries) {
                if (entry.event().dataAsString().equals("poison")) {
                  poisonDeliveries.incrementAndGet();
                  results.put(entry.entryId(), DeliveryResult.RETRY);
                } else {
                  handled.add(entry.event().dataAsString());
                  results.put(entry.entryId(), DeliveryResult.SUCCESS);
                }
              }
              return results;
            })) {
      publish("stuck", "poison");
      await(() -> subscription.stuckMessages() == 1, "the poison entry counted as stuck");
      publish("stuck", "after");
      await(() -> handled.contains("after"), "a later event past the stuck entry");
      int seen = poisonDeliveries.get();
      await(() -> poisonDeliveries.get() > seen, "the stuck entry retried again");
    }
  }

  @Test
  void aRawPayloadSubscriptionGetsTheMessageAsPublishedWrappedAsDaprdWrapsIt() throws Exception {
    BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    AtomicInteger calls = new AtomicInteger();
    try (Subscription subscription =
        pubsub.subscribe(
            SubscriptionOptions.builder("raw")
                .rawPayload(true)
                .backoff(Duration.ofMillis(5), Duration.ofMillis(5))
                .build(),
            event -> {
              events.add(event);
              return calls.getAndIncrement() == 0 ? DeliveryResult.RETRY : DeliveryResult.SUCCESS;
            })) {
      // A CloudEvent publish to a raw subscriber: the handler sees the whole envelope as bytes.
      pubsub.publish(
          PublishRequest.builder("raw", "{\"order\":1}")
              .contentType("application/json")
              .metadata("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
              .build());
      Event first = events.poll(10, TimeUnit.SECONDS);
      Event second = events.poll(10, TimeUnit.SECONDS);
      assertThat(first).isNotNull();
      assertThat(second).isNotNull();
      JsonNode envelope = JSON.readTree(first.data());
      assertThat(envelope.path("data").path("order").asInt()).isEqualTo(1);
      assertThat(envelope.path("source").asText()).isEqualTo("app");
      JsonNode wrapper = JSON.readTree(first.cloudEvent());
      assertThat(wrapper.path("specversion").asText()).isEqualTo("1.0");
      assertThat(wrapper.path("datacontenttype").asText()).isEqualTo("application/octet-stream");
      assertThat(wrapper.path("source").asText()).isEqualTo("Dapr");
      assertThat(wrapper.path("type").asText()).isEqualTo("com.dapr.event.sent");
      assertThat(wrapper.path("topic").asText()).isEqualTo("raw");
      assertThat(wrapper.path("pubsubname").asText()).isEqualTo("pubsub");
      assertThat(wrapper.path("traceparent").asText())
          .isEqualTo("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
      assertThat(Base64.getDecoder().decode(wrapper.path("data_base64").asText()))
          .isEqualTo(first.data());
      assertThat(first.dataContentType()).isEqualTo("application/octet-stream");
      assertThat(first.id()).isEqualTo(wrapper.path("id").asText());
      assertThat(second.id()).as("a redelivery keeps its id").isEqualTo(first.id());
      assertThat(second.deliveryCount()).isEqualTo(2);

      // A raw publish to a raw subscriber: the bytes as they were sent.
      byte[] bytes = {0, 1, 2, (byte) 0xff};
      pubsub.publish(
          PublishRequest.builder("raw", bytes)
              .contentType("application/octet-stream")
              .rawPayload()
              .build());
      Event raw = events.poll(10, TimeUnit.SECONDS);
      assertThat(raw).isNotNull();
      assertThat(raw.data()).isEqualTo(bytes);
      assertThat(raw.id()).isNotEqualTo(first.id());
    }
  }

  @Test
  void aBulkRawPayloadSubscriptionMarksItsEntries() throws Exception {
    BlockingQueue<BulkEntry> entries = new LinkedBlockingQueue<>();
    try (Subscription subscription =
        pubsub.subscribeBulk(
            SubscriptionOptions.builder("bulk-raw")
                .rawPayload(true)
                .bulk(10, Duration.ZERO)
                .build(),
            batch -> {
              entries.addAll(batch);
              return all(batch, DeliveryResult.SUCCESS);
            })) {
      publish("bulk-raw", "hello");
      BulkEntry entry = entries.poll(10, TimeUnit.SECONDS);
      assertThat(entry).isNotNull();
      assertThat(entry.rawPayload()).isTrue();
      assertThat(JSON.readTree(entry.event().data()).path("data").asText()).isEqualTo("hello");
    }
  }

  @Test
  void optionsAndSettingsRefuseBadValuesNamingThem() {
    assertThatThrownBy(() -> SubscriptionOptions.builder("t").bulk(0, Duration.ofSeconds(1)))
        .hasMessageContaining("maxMessagesCount must be at least 1, got 0");
    assertThatThrownBy(() -> SubscriptionOptions.builder("t").bulk(1, Duration.ofMillis(-1)))
        .hasMessageContaining("maxAwaitDuration");
    SubscriptionOptions defaults = SubscriptionOptions.builder("t").build();
    assertThat(defaults.bulkMaxMessages()).isEqualTo(100);
    assertThat(defaults.bulkMaxAwait()).isEqualTo(Duration.ofSeconds(1));
    assertThat(defaults.rawPayload()).isFalse();

    assertThat(BulkSubscribe.of(true, 0, 0))
        .isEqualTo(new BulkSubscribe(true, 100, Duration.ofSeconds(1)));
    assertThat(BulkSubscribe.of(true, 7, 30))
        .isEqualTo(new BulkSubscribe(true, 7, Duration.ofMillis(30)));
    assertThatThrownBy(() -> BulkSubscribe.of(true, -1, 0))
        .hasMessageContaining("bulkSubscribe.maxMessagesCount")
        .hasMessageContaining("-1");
    assertThatThrownBy(() -> BulkSubscribe.of(true, 1, -5))
        .hasMessageContaining("bulkSubscribe.maxAwaitDurationMs")
        .hasMessageContaining("-5");

    for (String yes : List.of("true", "True", "TRUE", "t", "T", "1")) {
      assertThat(CloudEvents.rawPayloadSetting(Map.of("rawPayload", yes))).as(yes).isTrue();
    }
    for (String no : List.of("", "false", "False", "FALSE", "f", "F", "0")) {
      assertThat(CloudEvents.rawPayloadSetting(Map.of("rawPayload", no))).as(no).isFalse();
    }
    assertThat(CloudEvents.rawPayloadSetting(Map.of())).isFalse();
    SubscriptionDefinition yes =
        dev.pillion.pubsub.SubscriptionDefinition.builder(
                dev.pillion.pubsub.SubscriptionSource.DECLARATIVE, "s", "pubsub", "t")
            .routes(Routes.single("/t"))
            .metadata(Map.of("rawPayload", "yes"))
            .origin("subs.yaml")
            .build();
    assertThatThrownBy(yes::rawPayload)
        .hasMessageContaining("subs.yaml, subscription 's'")
        .hasMessageContaining("metadata.rawPayload must be true or false, got 'yes'");
  }

  @Test
  void eachPublishedEventReachesTheBulkHandlerOnceWithItsMetadata() throws Exception {
    List<BulkEntry> seen = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    try (Subscription subscription =
        pubsub.subscribeBulk(
            SubscriptionOptions.builder("meta").bulk(5, Duration.ofMillis(50)).build(),
            entries -> {
              synchronized (seen) {
                seen.addAll(entries);
              }
              done.countDown();
              return all(entries, DeliveryResult.SUCCESS);
            })) {
      pubsub.publish(
          PublishRequest.builder("meta", "x".getBytes(StandardCharsets.UTF_8))
              .contentType("text/plain")
              .metadata("tenant", "blue")
              .build());
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).event().metadata()).containsEntry("tenant", "blue");
    assertThat(seen.get(0).rawPayload()).isFalse();
    assertThat(seen.get(0).event().type()).isEqualTo(CloudEvents.DAPR_EVENT_TYPE);
  }
}
