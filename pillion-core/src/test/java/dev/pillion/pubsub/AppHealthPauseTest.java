package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.AppHealth;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.wasm.WasmHost;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * A subscription pauses while its app is unhealthy: nothing is pulled, nothing lost or retried.
 *
 * <p>The delivery loop asks the app's health before every pull, so the tests count its unhealthy
 * answers: a few of them after the publishes are a few chances the loop had to pull and did not,
 * which a fixed sleep only hopes for.
 */
class AppHealthPauseTest {

  /** An app health the tests flip, counting the times the delivery loop found it unhealthy. */
  private static final class CountedHealth implements AppHealth {
    private final AtomicBoolean healthy;
    private final AtomicInteger unhealthyAnswers = new AtomicInteger();

    CountedHealth(boolean healthy) {
      this.healthy = new AtomicBoolean(healthy);
    }

    @Override
    public boolean healthy() {
      boolean now = healthy.get();
      if (!now) {
        unhealthyAnswers.incrementAndGet();
      }
      return now;
    }

    void set(boolean healthy) {
      this.healthy.set(healthy);
    }

    boolean isHealthy() {
      return healthy.get();
    }

    /** Waits until the loop has found the app unhealthy {@code more} times from now. */
    void awaitUnhealthyAnswers(int more, String what) throws InterruptedException {
      int target = unhealthyAnswers.get() + more;
      await(what, () -> unhealthyAnswers.get() >= target);
    }
  }

  /** A broker counting its pulls: all, those made while the app is unhealthy, the empty ones. */
  private static final class CountedPulls extends DelegatingPubSubComponent {
    private final CountedHealth health;
    final AtomicInteger pulls = new AtomicInteger();
    final AtomicInteger whileUnhealthy = new AtomicInteger();
    final AtomicInteger empty = new AtomicInteger();
    final AtomicInteger messages = new AtomicInteger();

    CountedPulls(PubSubComponent broker, CountedHealth health) {
      super(broker);
      this.health = health;
    }

    @Override
    public List<Message> pull(PullRequest request) {
      pulls.incrementAndGet();
      if (!health.isHealthy()) {
        whileUnhealthy.incrementAndGet();
      }
      List<Message> pulled = super.pull(request);
      messages.addAndGet(pulled.size());
      if (pulled.isEmpty()) {
        empty.incrementAndGet();
      }
      return pulled;
    }
  }

  @Test
  void eventsPublishedWhileTheAppIsUnhealthyWaitInTheBrokerAndAreDeliveredOnceOnRecovery()
      throws Exception {
    try (WasmHost host = WasmHost.create()) {
      CountedHealth health = new CountedHealth(true);
      CountedPulls broker = new CountedPulls(WakeUpTest.broker(host), health);
      DefaultPubSub pubsub = DefaultPubSub.create("pubsub", broker, "app");
      ConcurrentLinkedQueue<String> delivered = new ConcurrentLinkedQueue<>();
      Set<Integer> deliveryCounts = ConcurrentHashMap.newKeySet();
      try (Subscription subscription =
          pubsub.subscribe(
              SubscriptionOptions.builder("orders")
                  .concurrency(4)
                  .pauseWhileUnhealthy(health)
                  .build(),
              event -> {
                delivered.add(event.dataAsString());
                deliveryCounts.add(event.deliveryCount());
                return DeliveryResult.SUCCESS;
              })) {
        pubsub.publish(PublishRequest.builder("orders", "before").build());
        await("the first event delivered", () -> delivered.size() == 1);

        health.set(false);
        // Pulls happen on the loop's thread, between its health checks: once it has found the app
        // unhealthy, a pull that began before the flip is over, and any pull from here is a fault.
        health.awaitUnhealthyAnswers(1, "the loop finding the app unhealthy");
        broker.whileUnhealthy.set(0);
        for (int i = 0; i < 20; i++) {
          pubsub.publish(PublishRequest.builder("orders", "during-" + i).build());
        }
        // The publishes wake the loop; three checks after them, it has passed up three pulls.
        health.awaitUnhealthyAnswers(3, "the loop checking the app's health after the publishes");
        assertThat(broker.whileUnhealthy.get()).as("pulls while unhealthy").isZero();
        assertThat(delivered).containsExactly("before");

        health.set(true);
        await("every event delivered", () -> delivered.size() >= 21);
        // A pull that finds nothing after the last delivery: the broker holds no event for a
        // second delivery, and each was pulled once.
        int empty = broker.empty.get();
        await("an empty pull after the last delivery", () -> broker.empty.get() > empty);
        assertThat(broker.messages.get()).as("events pulled").isEqualTo(21);
        assertThat(delivered).hasSize(21).doesNotHaveDuplicates();
        // Each event was delivered on its first attempt: the pause spent no delivery on them.
        assertThat(deliveryCounts).containsExactly(1);
        assertThat(subscription.stuckMessages()).isZero();
      } finally {
        pubsub.close();
      }
    }
  }

  @Test
  void aBulkSubscriptionPausesToo() throws Exception {
    try (WasmHost host = WasmHost.create()) {
      CountedHealth health = new CountedHealth(false);
      CountedPulls broker = new CountedPulls(WakeUpTest.broker(host), health);
      DefaultPubSub pubsub = DefaultPubSub.create("pubsub", broker, "app");
      ConcurrentLinkedQueue<String> delivered = new ConcurrentLinkedQueue<>();
      try (Subscription subscription =
          pubsub.subscribeBulk(
              SubscriptionOptions.builder("orders")
                  .bulk(10, java.time.Duration.ofMillis(50))
                  .pauseWhileUnhealthy(health)
                  .build(),
              entries -> {
                java.util.Map<String, DeliveryResult> results = new java.util.HashMap<>();
                for (BulkEntry entry : entries) {
                  delivered.add(entry.event().dataAsString());
                  results.put(entry.entryId(), DeliveryResult.SUCCESS);
                }
                return results;
              })) {
        for (int i = 0; i < 5; i++) {
          pubsub.publish(PublishRequest.builder("orders", "e" + i).build());
        }
        health.awaitUnhealthyAnswers(3, "the loop checking the app's health after the publishes");
        assertThat(broker.pulls.get()).as("pulls while unhealthy").isZero();
        assertThat(delivered).isEmpty();
        health.set(true);
        await("every event delivered", () -> delivered.size() >= 5);
        assertThat(delivered).containsExactlyInAnyOrder("e0", "e1", "e2", "e3", "e4");
      } finally {
        pubsub.close();
      }
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(5);
    }
  }
}
