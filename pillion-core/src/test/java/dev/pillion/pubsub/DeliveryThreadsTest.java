package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import dev.pillion.wasm.capability.KeyValueStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which thread runs a handler, and what closing a subscription does to a running one. */
class DeliveryThreadsTest {
  private WasmHost host;
  private DefaultPubSub pubsub;

  @BeforeEach
  void create() {
    host = WasmHost.create();
    pubsub =
        DefaultPubSub.create(
            "pubsub",
            WasmPubSubComponent.load(
                host,
                ComponentSpec.builder()
                    .name("pubsub")
                    .contract(PubSubComponentContract.CONTRACT)
                    .source(BundledComponents.pubsubInMemory())
                    .grant(
                        KeyValueModule.create(
                            KeyValueStore.builder("pubsub").ordered(true).build()))
                    .instanceModel(InstanceModel.POOLED)
                    .build(),
                Map.of()),
            "app");
  }

  @AfterEach
  void close() {
    pubsub.close();
    host.close();
  }

  private List<String> handlerThreads(int concurrency) throws InterruptedException {
    List<String> threads = new CopyOnWriteArrayList<>();
    CountDownLatch handled = new CountDownLatch(3);
    String topic = "threads-" + concurrency;
    try (Subscription subscription =
        pubsub.subscribe(
            SubscriptionOptions.builder(topic).concurrency(concurrency).build(),
            event -> {
              threads.add(Thread.currentThread().getName());
              handled.countDown();
              return DeliveryResult.SUCCESS;
            })) {
      for (int i = 0; i < 3; i++) {
        pubsub.publish(PublishRequest.builder(topic, "event").build());
      }
      assertThat(handled.await(20, TimeUnit.SECONDS)).isTrue();
    }
    return threads;
  }

  @Test
  void withOneSlotTheDeliveryLoopRunsTheHandlerAndWithMoreHandlerThreadsDo() throws Exception {
    assertThat(handlerThreads(1)).allMatch(name -> name.endsWith("-threads-1-delivery"));
    assertThat(handlerThreads(2)).allMatch(name -> name.contains("-threads-2-handler-"));
  }

  @Test
  void closingLetsAHandlerRunningOnTheLoopFinishUninterrupted() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    AtomicBoolean finished = new AtomicBoolean();
    Subscription subscription =
        pubsub.subscribe(
            SubscriptionOptions.builder("slow").build(),
            event -> {
              started.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                interrupted.set(true);
                return DeliveryResult.RETRY;
              }
              finished.set(true);
              return DeliveryResult.SUCCESS;
            });
    pubsub.publish(PublishRequest.builder("slow", "event").build());
    assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();
    AtomicBoolean finishedWhenClosed = new AtomicBoolean();
    Thread closer =
        new Thread(
            () -> {
              subscription.close();
              finishedWhenClosed.set(finished.get());
            });
    closer.start();
    // The handler is released only once close() has either returned or parked waiting.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (closer.getState() != Thread.State.WAITING
        && closer.getState() != Thread.State.TIMED_WAITING
        && closer.getState() != Thread.State.TERMINATED
        && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    release.countDown();
    closer.join(20_000);
    assertThat(closer.isAlive()).isFalse();
    // close() waited for the running handler rather than interrupting it or returning before it.
    assertThat(finishedWhenClosed).as("the handler had finished when close() returned").isTrue();
    assertThat(interrupted).isFalse();
    assertThat(finished).isTrue();
  }
}
