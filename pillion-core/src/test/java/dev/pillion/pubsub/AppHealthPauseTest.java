package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

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
import org.junit.jupiter.api.Test;

/** A subscription pauses while its app is unhealthy: nothing is pulled, nothing lost or retried. */
class AppHealthPauseTest {

  @Test
  void eventsPublishedWhileTheAppIsUnhealthyWaitInTheBrokerAndAreDeliveredOnceOnRecovery()
      throws Exception {
    try (WasmHost host = WasmHost.create()) {
      AtomicInteger pullsWhileUnhealthy = new AtomicInteger();
      AtomicBoolean healthy = new AtomicBoolean(true);
      PubSubComponent counting =
          new DelegatingPubSubComponent(WakeUpTest.broker(host)) {
            @Override
            public List<Message> pull(PullRequest request) {
              if (!healthy.get()) {
                pullsWhileUnhealthy.incrementAndGet();
              }
              return super.pull(request);
            }
          };
      DefaultPubSub pubsub = DefaultPubSub.create("pubsub", counting, "app");
      ConcurrentLinkedQueue<String> delivered = new ConcurrentLinkedQueue<>();
      Set<Integer> deliveryCounts = ConcurrentHashMap.newKeySet();
      try (Subscription subscription =
          pubsub.subscribe(
              SubscriptionOptions.builder("orders")
                  .concurrency(4)
                  .pauseWhileUnhealthy(healthy::get)
                  .build(),
              event -> {
                delivered.add(event.dataAsString());
                deliveryCounts.add(event.deliveryCount());
                return DeliveryResult.SUCCESS;
              })) {
        pubsub.publish(PublishRequest.builder("orders", "before").build());
        awaitSize(delivered, 1);

        healthy.set(false);
        // Let a pull that started before the flip finish, then count from here.
        Thread.sleep(200);
        pullsWhileUnhealthy.set(0);
        for (int i = 0; i < 20; i++) {
          pubsub.publish(PublishRequest.builder("orders", "during-" + i).build());
        }
        Thread.sleep(500);
        assertThat(delivered).containsExactly("before");
        assertThat(pullsWhileUnhealthy.get()).as("pulls while unhealthy").isZero();

        healthy.set(true);
        awaitSize(delivered, 21);
        Thread.sleep(200);
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
      AtomicBoolean healthy = new AtomicBoolean(false);
      DefaultPubSub pubsub = DefaultPubSub.create("pubsub", WakeUpTest.broker(host), "app");
      ConcurrentLinkedQueue<String> delivered = new ConcurrentLinkedQueue<>();
      try (Subscription subscription =
          pubsub.subscribeBulk(
              SubscriptionOptions.builder("orders")
                  .bulk(10, java.time.Duration.ofMillis(50))
                  .pauseWhileUnhealthy(healthy::get)
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
        Thread.sleep(400);
        assertThat(delivered).isEmpty();
        healthy.set(true);
        awaitSize(delivered, 5);
        assertThat(delivered).containsExactlyInAnyOrder("e0", "e1", "e2", "e3", "e4");
      } finally {
        pubsub.close();
      }
    }
  }

  private static void awaitSize(ConcurrentLinkedQueue<String> queue, int size)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (queue.size() < size && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(queue).hasSizeGreaterThanOrEqualTo(size);
  }
}
