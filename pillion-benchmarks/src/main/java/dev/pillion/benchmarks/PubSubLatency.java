package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import dev.pillion.components.ComponentDefinition;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In-process publish → handler latency and throughput through the Wasm in-memory broker, with a 1
 * KB payload: the latency of one event at a time (publish, wait for its delivery, repeat), and the
 * throughput of a burst.
 */
final class PubSubLatency {
  private PubSubLatency() {}

  /**
   * A full broker refuses a publish; a real publisher backs off and tries again, as this one does.
   */
  static void publishWithBackpressure(PubSub pubsub, PublishRequest request)
      throws InterruptedException {
    while (true) {
      try {
        pubsub.publish(request);
        return;
      } catch (dev.pillion.pubsub.PubSubException e) {
        if (!e.getMessage().contains("is full")) {
          throw e;
        }
        Thread.sleep(1);
      }
    }
  }

  static String run(int latencySamples, int burst) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Pillion runtime =
        Pillion.builder()
            .appId("bench")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build()) {
      PubSub pubsub = runtime.pubsub("pubsub");
      byte[] payload = new byte[1024];
      Arrays.fill(payload, (byte) 'x');

      SynchronousQueue<Long> arrivals = new SynchronousQueue<>();
      long[] latencies = new long[latencySamples];
      try (Subscription one =
          pubsub.subscribe(
              SubscriptionOptions.builder("latency").build(),
              event -> {
                arrivals.put(System.nanoTime());
                return DeliveryResult.SUCCESS;
              })) {
        for (int i = -2000; i < latencySamples; i++) {
          long start = System.nanoTime();
          pubsub.publish(
              PublishRequest.builder("latency", payload)
                  .contentType("application/octet-stream")
                  .build());
          long arrived = arrivals.take();
          if (i >= 0) {
            latencies[i] = arrived - start;
          }
        }
      }
      Arrays.sort(latencies);
      out.append("| measure | value |\n|---|---|\n");
      out.append(
          String.format(
              Locale.ROOT,
              "| publish → handler, one event at a time (%d events): p50 | %.1f µs |%n"
                  + "| p99 | %.1f µs |%n",
              latencySamples,
              latencies[latencySamples / 2] / 1e3,
              latencies[(int) (latencySamples * 0.99)] / 1e3));

      for (int concurrency : new int[] {1, 4}) {
        CountDownLatch done = new CountDownLatch(burst);
        AtomicInteger seen = new AtomicInteger();
        try (Subscription all =
            pubsub.subscribe(
                SubscriptionOptions.builder("burst-" + concurrency)
                    .concurrency(concurrency)
                    .build(),
                event -> {
                  seen.incrementAndGet();
                  done.countDown();
                  return DeliveryResult.SUCCESS;
                })) {
          long start = System.nanoTime();
          for (int i = 0; i < burst; i++) {
            ByteBuffer.wrap(payload).putInt(0, i);
            publishWithBackpressure(
                pubsub,
                PublishRequest.builder("burst-" + concurrency, payload)
                    .contentType("application/octet-stream")
                    .build());
          }
          long published = System.nanoTime();
          if (!done.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException(
                "only " + seen.get() + " of " + burst + " events arrived");
          }
          long end = System.nanoTime();
          out.append(
              String.format(
                  Locale.ROOT,
                  "| burst of %d events, handler concurrency %d: publish rate | %.0f events/s |%n"
                      + "| delivered rate (publish start → last handled) | %.0f events/s |%n",
                  burst,
                  concurrency,
                  burst / ((published - start) / 1e9),
                  burst / ((end - start) / 1e9)));
        }
      }
    }
    return out.toString();
  }
}
