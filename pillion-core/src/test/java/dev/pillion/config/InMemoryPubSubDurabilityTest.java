package dev.pillion.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.abi.pubsub.Ack;
import dev.pillion.abi.pubsub.AckOutcome;
import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.abi.pubsub.BulkPublishEntry;
import dev.pillion.abi.pubsub.BulkPublishRequest;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PublishRequest;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.block.RuntimeContext;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.pubsub.PubSubBuildingBlock;
import dev.pillion.pubsub.PubSubException;
import dev.pillion.pubsub.PubSubLimitException;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.ComponentTrapException;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import dev.pillion.wasm.capability.KeyValueStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled in-memory broker keeps its queues in the host (issue 8): its instances are
 * disposable, its messages are not.
 */
class InMemoryPubSubDurabilityTest {
  private static final String TOPIC = "orders";
  private static final String SUBSCRIPTION = "billing";
  private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(20);

  private static WasmHost host;

  @BeforeAll
  static void startHost() {
    host = WasmHost.create();
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  private static PubSubComponent fromYaml(Map<String, String> metadata) {
    ComponentDefinition definition =
        ComponentDefinition.builder("pubsub", PubSubBuildingBlock.IN_MEMORY)
            .metadata(metadata)
            .build();
    return PubSubBuildingBlock.create()
        .builtInTypes()
        .factory(PubSubBuildingBlock.IN_MEMORY)
        .orElseThrow()
        .create(definition, RuntimeContext.builder(host).build());
  }

  private static PubSubComponent overStore(KeyValueModule store) {
    return WasmPubSubComponent.load(
        host,
        ComponentSpec.builder()
            .name("pubsub")
            .contract(PubSubComponentContract.CONTRACT)
            .source(BundledComponents.pubsubInMemory())
            .grant(store)
            .instanceModel(InstanceModel.POOLED)
            .build(),
        Map.of());
  }

  private static String publish(PubSubComponent broker, String data) {
    return broker.publish(
        PublishRequest.newBuilder()
            .setTopic(TOPIC)
            .setData(ByteString.copyFromUtf8(data))
            .setContentType("text/plain")
            .build());
  }

  private static List<Message> pull(PubSubComponent broker, int max, int leaseMillis) {
    return broker.pull(
        PullRequest.newBuilder()
            .setTopic(TOPIC)
            .setSubscription(SUBSCRIPTION)
            .setMaxMessages(max)
            .setLeaseMillis(leaseMillis)
            .build());
  }

  private static List<String> ack(
      PubSubComponent broker, Collection<Message> messages, AckOutcome outcome) {
    AckRequest.Builder request =
        AckRequest.newBuilder().setTopic(TOPIC).setSubscription(SUBSCRIPTION);
    messages.forEach(m -> request.addAcks(Ack.newBuilder().setId(m.getId()).setOutcome(outcome)));
    return broker.ack(request.build());
  }

  private static List<String> data(Collection<Message> messages) {
    return messages.stream().map(m -> m.getData().toStringUtf8()).toList();
  }

  private static List<String> orders(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> "order-" + i).toList();
  }

  /**
   * Pulls (with a long lease) and settles until {@code expected} messages came, waiting for earlier
   * leases to expire; returns them in delivery order.
   */
  private static List<Message> drain(PubSubComponent broker, int expected)
      throws InterruptedException {
    List<Message> delivered = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT_NANOS;
    while (delivered.size() < expected) {
      List<Message> batch = pull(broker, 1_000, 60_000);
      if (batch.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              "only " + delivered.size() + " of " + expected + " messages came back");
        }
        Thread.sleep(5);
        continue;
      }
      assertThat(ack(broker, batch, AckOutcome.SUCCESS)).isEmpty();
      delivered.addAll(batch);
    }
    return delivered;
  }

  @Test
  void aTrapDiscardsTheOnlyInstanceButNotOneMessage() throws Exception {
    // The old failure: a single instance whose memory cannot take a request traps, and the
    // broker's queues went with it. Memory: 32 pages (2 MiB), 17 of them the module's own.
    try (PubSubComponent broker =
        fromYaml(Map.of("wasm.instances", "single", "wasm.maxMemoryPages", "32"))) {
      broker.subscribe(TOPIC, SUBSCRIPTION);
      orders(0, 200).forEach(order -> publish(broker, order));
      List<Message> settled = pull(broker, 50, 60_000);
      assertThat(ack(broker, settled, AckOutcome.SUCCESS)).isEmpty();
      // Held by a consumer that dies: they come back when the lease runs out.
      List<Message> inFlight = pull(broker, 50, 1);
      assertThat(data(inFlight)).isEqualTo(orders(50, 100));

      // A publish the instance has no memory for: a trap, which discards the instance.
      String tooBig = "x".repeat(3 << 20);
      assertThatThrownBy(() -> publish(broker, tooBig))
          .isInstanceOf(PubSubException.class)
          .hasCauseInstanceOf(ComponentTrapException.class)
          .hasMessageContaining("the guest is out of memory");

      List<Message> delivered = drain(broker, 150);
      assertThat(data(delivered)).containsExactlyInAnyOrderElementsOf(orders(50, 200));
      assertThat(delivered)
          .filteredOn(m -> inFlight.stream().anyMatch(held -> held.getId().equals(m.getId())))
          .hasSize(50)
          .allSatisfy(m -> assertThat(m.getDeliveryCount()).isEqualTo(2));
      assertThat(pull(broker, 10, 60_000)).isEmpty();
    }
  }

  @Test
  void everyInstanceClosedAndReplacedLosesNothing() throws Exception {
    KeyValueStore items = KeyValueStore.builder("pubsub").ordered(true).build();
    KeyValueModule store = KeyValueModule.create(items);
    try (PubSubComponent first = overStore(store)) {
      first.subscribe(TOPIC, SUBSCRIPTION);
      orders(0, 100).forEach(order -> publish(first, order));
      List<Message> pulled = pull(first, 30, 1);
      assertThat(ack(first, pulled.subList(0, 10), AckOutcome.SUCCESS)).isEmpty();
      assertThat(ack(first, pulled.subList(10, 20), AckOutcome.RETRY)).isEmpty();
      // The last 10 stay leased (for a millisecond): their consumer is gone with the component.
    }
    try (PubSubComponent second = overStore(store)) {
      second.subscribe(TOPIC, SUBSCRIPTION); // idempotent: the queue stays
      List<Message> delivered = drain(second, 90);
      assertThat(data(delivered)).containsExactlyInAnyOrderElementsOf(orders(10, 100));
      // The retried messages kept their place ahead of every later one.
      assertThat(data(delivered.subList(0, 10))).isEqualTo(orders(10, 20));
      assertThat(delivered)
          .allSatisfy(
              m ->
                  assertThat(m.getDeliveryCount())
                      .isEqualTo(
                          Integer.parseInt(m.getData().toStringUtf8().substring(6)) < 30 ? 2 : 1));
    }
    // What is left: the subscription's records (in its topic's record, and its queue's removed
    // count), nothing else.
    assertThat(items.size()).isEqualTo(2);
  }

  @Test
  void concurrentConsumersOnPooledInstancesNeverShareALease() throws Exception {
    int n = 2_000;
    try (PubSubComponent broker = fromYaml(Map.of("wasm.poolSize", "4"))) {
      broker.subscribe(TOPIC, SUBSCRIPTION);
      Set<String> delivered = ConcurrentHashMap.newKeySet();
      List<String> duplicates = new ArrayList<>();
      ExecutorService threads = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> work = new ArrayList<>();
        work.add(threads.submit(() -> orders(0, n).forEach(order -> publish(broker, order))));
        for (int t = 0; t < 3; t++) {
          work.add(
              threads.submit(
                  () -> {
                    long deadline = System.nanoTime() + WAIT_NANOS;
                    while (delivered.size() < n && System.nanoTime() < deadline) {
                      // Leases never expire within the test: a second delivery is a shared lease.
                      List<Message> batch = pull(broker, 7, 600_000);
                      for (Message m : batch) {
                        if (!delivered.add(m.getData().toStringUtf8())) {
                          synchronized (duplicates) {
                            duplicates.add(m.getData().toStringUtf8());
                          }
                        }
                      }
                      assertThat(ack(broker, batch, AckOutcome.SUCCESS)).isEmpty();
                    }
                    return null;
                  }));
        }
        for (Future<?> f : work) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        threads.shutdownNow();
      }
      assertThat(duplicates).isEmpty();
      assertThat(delivered).containsExactlyInAnyOrderElementsOf(orders(0, n));
    }
  }

  @Test
  void limitsAreRefusedWholeAndNamed() {
    try (PubSubComponent broker = fromYaml(Map.of("maxQueueDepth", "3", "maxBytes", "100"))) {
      broker.subscribe(TOPIC, SUBSCRIPTION);
      publish(broker, "a");
      publish(broker, "b");
      BulkPublishRequest.Builder bulk = BulkPublishRequest.newBuilder().setTopic(TOPIC);
      for (String entry : List.of("c", "d")) {
        bulk.addEntries(
            BulkPublishEntry.newBuilder()
                .setEntryId(entry)
                .setData(ByteString.copyFromUtf8(entry)));
      }
      assertThatThrownBy(() -> broker.bulkPublish(bulk.build()))
          .isInstanceOf(PubSubLimitException.class)
          .hasMessageContaining("subscription 'billing' of topic 'orders' is full")
          .hasMessageContaining("over its limit of 3 (maxQueueDepth); nothing was published");
      assertThatThrownBy(() -> publish(broker, "y".repeat(99)))
          .isInstanceOf(PubSubLimitException.class)
          .hasMessageContaining("over its limit of 100 bytes (maxBytes)");
      assertThat(data(pull(broker, 10, 60_000))).containsExactly("a", "b");
    }
    try (PubSubComponent broker = fromYaml(Map.of("wasm.keyvalue.maxBytes", "2000"))) {
      broker.subscribe(TOPIC, SUBSCRIPTION);
      assertThatThrownBy(() -> publish(broker, "z".repeat(4_000)))
          .isInstanceOf(PubSubLimitException.class)
          .hasMessageContaining("(wasm.keyvalue.maxBytes)");
    }
  }
}
