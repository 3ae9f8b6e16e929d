package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PubSubLimitException;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.state.BulkStateItem;
import dev.pillion.state.DeleteRequest;
import dev.pillion.state.EtagMismatchException;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import dev.pillion.state.TransactionOperation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Soak test (not in CI; {@code scripts/soak.sh [minutes]}): mixed state and pub/sub load on an
 * embedded runtime while hostile components (components/fixtures) trap, loop, exhaust memory and
 * attack the host through WASI and the ABI. At the end every acknowledged write must read back, the
 * shared counter must equal the acknowledged increments, and every published event must have been
 * delivered. Exits 1 on any loss.
 */
public final class Soak {
  private static final int WRITERS = 4;
  private static final int KEYS_PER_WRITER = 200;
  private static final System.Logger LOG = System.getLogger(Soak.class.getName());

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong operations = new AtomicLong();
  private final AtomicLong attacks = new AtomicLong();
  private final AtomicLong counterAcks = new AtomicLong();
  private final List<Map<String, String>> expected = new ArrayList<>();
  private final AtomicLong published = new AtomicLong();
  private final Set<Long> delivered = ConcurrentHashMap.newKeySet();
  private final List<String> failures = new ArrayList<>();

  private Soak() {}

  /**
   * Runs the soak.
   *
   * @param args minutes (default 5), then the fixtures directory (default components/fixtures)
   * @throws Exception on setup failure
   */
  public static void main(String[] args) throws Exception {
    double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    Path fixtures = Path.of(args.length > 1 ? args[1] : "components/fixtures").toAbsolutePath();
    int exit = new Soak().run(Duration.ofMillis((long) (minutes * 60_000)), fixtures);
    System.exit(exit);
  }

  private static Path resources(Path fixtures) throws IOException {
    Path dir = Files.createTempDirectory("pillion-soak");
    Files.writeString(
        dir.resolve("components.yaml"),
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: statestore}
        spec:
          type: state.in-memory
          version: v1
          metadata:
          - {name: keyPrefix, value: none}
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: pubsub}
        spec: {type: pubsub.in-memory, version: v1}
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: hostile}
        spec:
          type: state.wasm
          version: v1
          metadata:
          - {name: url, value: "file://%s/hostile-abi-state.wasm"}
          - {name: wasm.callTimeout, value: 100ms}
          - {name: keyPrefix, value: none}
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: misbehaving}
        spec:
          type: state.wasm
          version: v1
          metadata:
          - {name: url, value: "file://%s/misbehaving-state.wasm"}
          - {name: wasm.callTimeout, value: 100ms}
          - {name: wasm.maxMemoryPages, value: "256"}
          - {name: keyPrefix, value: none}
        """
            .formatted(fixtures, fixtures));
    return dir;
  }

  private int run(Duration duration, Path fixtures) throws Exception {
    try (Pillion runtime =
        Pillion.builder().resourcesPath(resources(fixtures)).appId("soak").build()) {
      StateStore store = runtime.state("statestore");
      PubSub pubsub = runtime.pubsub("pubsub");
      store.save("counter", "0");
      Subscription subscription =
          pubsub.subscribe(
              SubscriptionOptions.builder("soak")
                  .concurrency(4)
                  .backoff(Duration.ofMillis(5), Duration.ofMillis(200))
                  .build(),
              event -> {
                // A subscriber failing 30% of deliveries at random.
                if (ThreadLocalRandom.current().nextInt(10) < 3) {
                  return DeliveryResult.RETRY;
                }
                delivered.add(Long.parseLong(event.dataAsString()));
                return DeliveryResult.SUCCESS;
              });
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        Map<String, String> mine = new ConcurrentHashMap<>();
        expected.add(mine);
        int writer = w;
        threads.add(start(() -> write(store, writer, mine)));
      }
      threads.add(start(() -> attack(runtime.state("hostile"), hostileAttacks())));
      threads.add(start(() -> attack(runtime.state("misbehaving"), misbehavingAttacks())));
      threads.add(start(() -> publish(pubsub)));
      long end = System.nanoTime() + duration.toNanos();
      while (System.nanoTime() < end) {
        Thread.sleep(Math.min(10_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        LOG.log(
            System.Logger.Level.INFO,
            "soak: {0} state operations, {1} attacks, {2} published, {3} delivered",
            operations.get(),
            attacks.get(),
            published.get(),
            delivered.size());
      }
      running.set(false);
      for (Thread thread : threads) {
        thread.join();
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (delivered.size() < published.get() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      subscription.close();
      verify(store);
    }
    System.out.printf(
        "soak: %d state operations, %d attacks, %d counter increments, %d/%d events delivered%n",
        operations.get(), attacks.get(), counterAcks.get(), delivered.size(), published.get());
    if (failures.isEmpty()) {
      System.out.println("soak: nothing lost");
      return 0;
    }
    failures.forEach(f -> System.out.println("LOST: " + f));
    return 1;
  }

  private static Thread start(Runnable task) {
    Thread thread = new Thread(task);
    thread.start();
    return thread;
  }

  private void write(StateStore store, int writer, Map<String, String> mine) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long seq = 0;
    while (running.get()) {
      String key = "w" + writer + "-" + random.nextInt(KEYS_PER_WRITER);
      int action = random.nextInt(10);
      try {
        if (action < 5) {
          String value = writer + ":" + seq++;
          Optional<StateItem> current = store.get(key);
          SaveRequest.Builder save = SaveRequest.builder(key, value);
          current.flatMap(StateItem::etag).ifPresent(save::etag);
          store.save(save.build());
          mine.put(key, value);
        } else if (action < 6) {
          store.delete(key);
          mine.remove(key);
        } else if (action < 7) {
          List<SaveRequest> saves = new ArrayList<>();
          Map<String, String> values = new java.util.LinkedHashMap<>();
          for (int i = 0; i < 50; i++) {
            String k = "w" + writer + "-" + random.nextInt(KEYS_PER_WRITER);
            String v = writer + ":" + seq++;
            saves.add(SaveRequest.builder(k, v).build());
            values.put(k, v);
          }
          store.saveAll(saves);
          mine.putAll(values);
        } else if (action < 8) {
          List<TransactionOperation> ops = new ArrayList<>();
          Map<String, Optional<String>> changes = new java.util.LinkedHashMap<>();
          for (int i = 0; i < 20; i++) {
            String k = "w" + writer + "-" + random.nextInt(KEYS_PER_WRITER);
            if (random.nextBoolean()) {
              String v = writer + ":" + seq++;
              ops.add(TransactionOperation.upsert(SaveRequest.builder(k, v).build()));
              changes.put(k, Optional.of(v));
            } else {
              ops.add(TransactionOperation.delete(DeleteRequest.of(k)));
              changes.put(k, Optional.empty());
            }
          }
          store.transact(ops);
          changes.forEach((k, v) -> v.ifPresentOrElse(x -> mine.put(k, x), () -> mine.remove(k)));
        } else {
          increment(store);
        }
        operations.incrementAndGet();
      } catch (RuntimeException e) {
        synchronized (failures) {
          failures.add("writer " + writer + ": " + e);
        }
        return;
      }
    }
  }

  private void increment(StateStore store) {
    while (true) {
      StateItem item = store.get("counter").orElseThrow();
      long next = Long.parseLong(item.valueAsString()) + 1;
      try {
        store.save(
            SaveRequest.builder("counter", Long.toString(next))
                .etag(item.etag().orElseThrow())
                .build());
        counterAcks.incrementAndGet();
        return;
      } catch (EtagMismatchException retry) {
        // Another writer won; read again.
      }
    }
  }

  private static List<String> hostileAttacks() {
    return List.of("free-loop", "free-trap", "fd-read-huge", "fd-read-2g");
  }

  private static List<String> misbehavingAttacks() {
    return List.of("loop", "trap", "grow", "huge", "garbage", "badptr", "log");
  }

  private void attack(StateStore component, List<String> keys) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (running.get()) {
      try {
        component.get(keys.get(random.nextInt(keys.size())));
      } catch (RuntimeException expected) {
        // The attack's own failure.
      }
      attacks.incrementAndGet();
    }
  }

  private void publish(PubSub pubsub) {
    long next = 0;
    while (running.get()) {
      try {
        pubsub.publish(PublishRequest.builder("soak", Long.toString(next)).build());
        next++;
        published.set(next);
        if (next % 100 == 0) {
          Thread.sleep(1);
        }
      } catch (PubSubLimitException full) {
        // Back-pressure, refused whole: the subscriber is behind; publish the same event later.
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        synchronized (failures) {
          failures.add("publisher: " + e);
        }
        return;
      }
    }
  }

  private void verify(StateStore store) {
    for (int writer = 0; writer < WRITERS; writer++) {
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < KEYS_PER_WRITER; i++) {
        keys.add("w" + writer + "-" + i);
      }
      Map<String, String> mine = expected.get(writer);
      for (BulkStateItem item : store.bulkGet(keys)) {
        Optional<String> actual = item.item().map(StateItem::valueAsString);
        Optional<String> wanted = Optional.ofNullable(mine.get(item.key()));
        if (!actual.equals(wanted)) {
          failures.add(item.key() + ": expected " + wanted + ", found " + actual);
        }
      }
    }
    long counter = Long.parseLong(store.get("counter").orElseThrow().valueAsString());
    if (counter != counterAcks.get()) {
      failures.add("counter is " + counter + " after " + counterAcks.get() + " increments");
    }
    for (long id = 0; id < published.get(); id++) {
      if (!delivered.contains(id)) {
        failures.add("event " + id + " was never delivered");
      }
    }
  }
}
