package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.abi.pubsub.Ack;
import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.wasm.WasmHost;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Handler threads settle their messages together: while one acknowledgement is in flight, the
 * messages other handlers finish go into the next one, and none is left unacknowledged.
 */
class GroupCommitTest {
  @Test
  void handlersFinishingDuringAnAckShareTheNextAndEveryMessageIsAckedOnce() throws Exception {
    int events = 2_000;
    try (WasmHost host = WasmHost.create()) {
      AtomicInteger ackCalls = new AtomicInteger();
      List<String> acked = Collections.synchronizedList(new ArrayList<>());
      PubSubComponent slowAcks =
          new DelegatingPubSubComponent(WakeUpTest.broker(host)) {
            @Override
            public List<String> ack(AckRequest request) {
              ackCalls.incrementAndGet();
              for (Ack ack : request.getAcksList()) {
                acked.add(ack.getId());
              }
              try {
                // A slow commit: handlers that finish meanwhile queue their settlements.
                Thread.sleep(2);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return super.ack(request);
            }
          };
      DefaultPubSub pubsub = DefaultPubSub.create("pubsub", slowAcks, "app");
      Set<String> handled = ConcurrentHashMap.newKeySet();
      CountDownLatch all = new CountDownLatch(events);
      try (Subscription subscription =
          pubsub.subscribe(
              SubscriptionOptions.builder("orders").concurrency(8).build(),
              event -> {
                if (handled.add(event.id())) {
                  all.countDown();
                }
                return DeliveryResult.SUCCESS;
              })) {
        for (int i = 0; i < events; i++) {
          pubsub.publish(PublishRequest.builder("orders", "order " + i).build());
        }
        assertThat(all.await(60, TimeUnit.SECONDS)).as("all events handled").isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (acked.size() < events && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
      } finally {
        pubsub.close();
      }
      assertThat(acked).as("acknowledged message ids").hasSize(events).doesNotHaveDuplicates();
      // One ack per message would be 2,000 calls of 2 ms each; grouped, far fewer.
      assertThat(ackCalls.get()).isLessThan(events / 2);
    }
  }
}
