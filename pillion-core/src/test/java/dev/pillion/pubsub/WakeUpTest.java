package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import dev.pillion.wasm.capability.KeyValueStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** In-process publishes wake the delivery loop; none waits for the idle poll. */
class WakeUpTest {
  /** SubscriptionRunner's idle poll interval: a lost wake-up costs at least this. */
  private static final long IDLE_POLL_MILLIS = 50;

  /**
   * The race the loop used to lose: a publish (and its wake-up) landing after the loop's pull found
   * nothing and before the loop waits. The component here publishes at exactly that moment, from
   * inside the empty pull, after the broker was read. A lost wake-up costs the whole poll interval
   * every time; with the wake-up kept, the loop pulls again at once.
   */
  @Test
  void aPublishBetweenAnEmptyPullAndTheWaitIsDeliveredAtOnce() throws Exception {
    try (WasmHost host = WasmHost.create()) {
      PubSubComponent broker = broker(host);
      AtomicBoolean publishInNextEmptyPull = new AtomicBoolean();
      AtomicLong publishedAt = new AtomicLong();
      DefaultPubSub[] pubsub = new DefaultPubSub[1];
      PubSubComponent racing =
          new DelegatingPubSubComponent(broker) {
            @Override
            public List<Message> pull(PullRequest request) {
              List<Message> pulled = super.pull(request);
              if (pulled.isEmpty() && publishInNextEmptyPull.compareAndSet(true, false)) {
                publishedAt.set(System.nanoTime());
                pubsub[0].publish(PublishRequest.builder("orders", "late").build());
              }
              return pulled;
            }
          };
      pubsub[0] = DefaultPubSub.create("pubsub", racing, "app");
      SynchronousQueue<Long> handled = new SynchronousQueue<>();
      try (Subscription subscription =
          pubsub[0].subscribe(
              SubscriptionOptions.builder("orders").build(),
              event -> {
                handled.put(System.nanoTime());
                return DeliveryResult.SUCCESS;
              })) {
        long fastest = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
          publishInNextEmptyPull.set(true);
          Long at = handled.poll(20, TimeUnit.SECONDS);
          assertThat(at).as("delivery %d", i).isNotNull();
          fastest = Math.min(fastest, at - publishedAt.get());
        }
        // A lost wake-up waits out the poll every time, so even the fastest of five would take it.
        assertThat(TimeUnit.NANOSECONDS.toMillis(fastest)).isLessThan(IDLE_POLL_MILLIS / 2);
      } finally {
        pubsub[0].close();
      }
    }
  }

  static PubSubComponent broker(WasmHost host) {
    return WasmPubSubComponent.load(
        host,
        ComponentSpec.builder()
            .name("pubsub")
            .contract(PubSubComponentContract.CONTRACT)
            .source(BundledComponents.pubsubInMemory())
            .grant(KeyValueModule.create(KeyValueStore.builder("pubsub").ordered(true).build()))
            .instanceModel(InstanceModel.POOLED)
            .build(),
        Map.of());
  }
}
