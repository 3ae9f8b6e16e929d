package dev.pillion.benchmarks;

import com.google.protobuf.ByteString;
import dev.pillion.Pillion;
import dev.pillion.abi.pubsub.Ack;
import dev.pillion.abi.pubsub.AckOutcome;
import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.DefaultPubSub;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PubSubLimitException;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.pubsub.spi.PubSubComponent;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * In-process publish → handler latency and throughput through the Wasm in-memory broker, with a 1
 * KB payload: the latency of one event at a time (publish, wait until the handler told the
 * publisher, repeat) against a bare hand-off of the same payload to one consumer thread, and the
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
      } catch (PubSubLimitException e) {
        Thread.sleep(1);
      }
    }
  }

  /** One event: publish, wait until its handler told this thread; nanoseconds. */
  private static long publishAndWait(PubSub pubsub, SynchronousQueue<Long> told, byte[] payload)
      throws InterruptedException {
    long start = System.nanoTime();
    pubsub.publish(
        PublishRequest.builder("latency", payload).contentType("application/octet-stream").build());
    told.take();
    return System.nanoTime() - start;
  }

  /** How many samples exceed a bound. */
  private static long over(long[] samples, long bound) {
    return Arrays.stream(samples).filter(sample -> sample > bound).count();
  }

  /**
   * A baseline: the same payload handed to one consumer thread through one queue; the consumer
   * "handles" it (reads a byte) and tells the publisher through another. Two thread hand-offs, like
   * Pillion's in-process delivery, and nothing else. With {@link SynchronousQueue}s both threads
   * spin for a moment before they park, so when both find a core a hand-off costs no wake-up; with
   * {@link LinkedBlockingQueue}s a waiting thread parks at once and each hand-off is a wake-up, as
   * it is for Pillion's delivery loop, which parks while its topic is empty.
   */
  private static final class BareHandOff implements AutoCloseable {
    private final BlockingQueue<byte[]> events;
    private final BlockingQueue<Long> told;
    private final Thread consumer;
    private volatile int handled;

    static BareHandOff spinning() {
      return new BareHandOff(new SynchronousQueue<>(), new SynchronousQueue<>());
    }

    static BareHandOff parking() {
      return new BareHandOff(new LinkedBlockingQueue<>(), new LinkedBlockingQueue<>());
    }

    private BareHandOff(BlockingQueue<byte[]> events, BlockingQueue<Long> told) {
      this.events = events;
      this.told = told;
      consumer =
          new Thread(
              () -> {
                try {
                  while (true) {
                    byte[] event = events.take();
                    handled += event[event.length - 1];
                    told.put(System.nanoTime());
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "bare-hand-off-consumer");
      consumer.setDaemon(true);
      consumer.start();
    }

    /** Hands one event over and waits until the consumer told; nanoseconds. */
    long handOff(byte[] payload) throws InterruptedException {
      long start = System.nanoTime();
      events.put(payload);
      told.take();
      return System.nanoTime() - start;
    }

    @Override
    public void close() {
      consumer.interrupt();
    }
  }

  /**
   * The broker's own cost, without threads, envelopes or handlers: CPU time of one thread that
   * publishes a 1 KB message to the component, pulls it and acknowledges it, per round. Thread CPU
   * time, unlike the rates above, hardly depends on what else runs on the machine.
   */
  private static String componentCycle(PubSub pubsub, int rounds) {
    PubSubComponent component = ((DefaultPubSub) pubsub).component();
    component.subscribe("cycle", "cycle");
    dev.pillion.abi.pubsub.PublishRequest publish =
        dev.pillion.abi.pubsub.PublishRequest.newBuilder()
            .setTopic("cycle")
            .setData(ByteString.copyFrom(new byte[1024]))
            .setContentType("application/octet-stream")
            .build();
    PullRequest pull =
        PullRequest.newBuilder()
            .setTopic("cycle")
            .setSubscription("cycle")
            .setMaxMessages(1)
            .setLeaseMillis(60_000)
            .setOrdered(true)
            .build();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long cpu = 0;
    for (int pass = 0; pass < 2; pass++) {
      long start = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < rounds; i++) {
        component.publish(publish);
        for (Message message : component.pull(pull)) {
          component.ack(
              AckRequest.newBuilder()
                  .setTopic("cycle")
                  .setSubscription("cycle")
                  .addAcks(Ack.newBuilder().setId(message.getId()).setOutcome(AckOutcome.SUCCESS))
                  .build());
        }
      }
      // The first pass warms up the JIT; the second is measured.
      cpu = threads.getCurrentThreadCpuTime() - start;
    }
    return String.format(
        Locale.ROOT,
        "| broker alone: publish, pull and ack of one 1 KB message, CPU time of the calling thread"
            + " | %.1f µs |%n",
        cpu / 1e3 / rounds);
  }

  /** A measured burst: time to publish it, time until the last event was handled, CPU used. */
  private record Burst(long publishNanos, long deliverNanos, long cpuNanos) {}

  /** Publishes {@code count} events as fast as the broker takes them and waits for all. */
  private static Burst burst(
      PubSub pubsub, byte[] payload, int count, int concurrency, String topic)
      throws InterruptedException {
    CountDownLatch done = new CountDownLatch(count);
    AtomicInteger seen = new AtomicInteger();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    try (Subscription all =
        pubsub.subscribe(
            SubscriptionOptions.builder(topic).concurrency(concurrency).build(),
            event -> {
              seen.incrementAndGet();
              done.countDown();
              return DeliveryResult.SUCCESS;
            })) {
      long cpu = os.getProcessCpuTime();
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        ByteBuffer.wrap(payload).putInt(0, i);
        publishWithBackpressure(
            pubsub,
            PublishRequest.builder(topic, payload).contentType("application/octet-stream").build());
      }
      long published = System.nanoTime();
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("only " + seen.get() + " of " + count + " events arrived");
      }
      long end = System.nanoTime();
      return new Burst(published - start, end - start, os.getProcessCpuTime() - cpu);
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

      // Publish → handler → publisher told, through Pillion and through a bare hand-off of the same
      // payload to one consumer thread, in alternating blocks so both see the same machine.
      SynchronousQueue<Long> told = new SynchronousQueue<>();
      long[] pillion = new long[latencySamples];
      long[] bare = new long[latencySamples];
      long[] parked = new long[latencySamples];
      try (Subscription one =
              pubsub.subscribe(
                  SubscriptionOptions.builder("latency").build(),
                  event -> {
                    told.put(System.nanoTime());
                    return DeliveryResult.SUCCESS;
                  });
          BareHandOff handOff = BareHandOff.spinning();
          BareHandOff parkingHandOff = BareHandOff.parking()) {
        int blocks = 10;
        int perBlock = latencySamples / blocks;
        // Until the JIT compiled the guest's code (the broker's functions are compiled after
        // thousands of calls), so that the figures are the steady state's.
        for (int i = 0; i < Math.min(latencySamples, 20_000); i++) {
          publishAndWait(pubsub, told, payload);
          handOff.handOff(payload);
          parkingHandOff.handOff(payload);
        }
        for (int block = 0; block < blocks; block++) {
          int from = block * perBlock;
          int to = block == blocks - 1 ? latencySamples : from + perBlock;
          for (int i = from; i < to; i++) {
            pillion[i] = publishAndWait(pubsub, told, payload);
          }
          for (int i = from; i < to; i++) {
            bare[i] = handOff.handOff(payload);
          }
          for (int i = from; i < to; i++) {
            parked[i] = parkingHandOff.handOff(payload);
          }
        }
      }
      Arrays.sort(pillion);
      Arrays.sort(bare);
      Arrays.sort(parked);
      out.append("| measure | value |\n|---|---|\n");
      out.append(
          String.format(
              Locale.ROOT,
              "| publish → handler → publisher told, one event at a time (%d events): p50 | %.1f µs |%n"
                  + "| p99 | %.1f µs |%n"
                  + "| p99.99 | %.1f µs |%n"
                  + "| bare hand-off of the same 1 KB to one consumer thread and back, threads"
                  + " spinning before they park (SynchronousQueue): p50 | %.1f µs |%n"
                  + "| p99 | %.1f µs |%n"
                  + "| p99.99 | %.1f µs |%n"
                  + "| Pillion / spinning hand-off at p50, p99, p99.99 | %.2f×, %.2f×, %.2f× |%n"
                  + "| the same hand-off, threads parking at once (LinkedBlockingQueue): p50 | %.1f"
                  + " µs |%n"
                  + "| p99 | %.1f µs |%n"
                  + "| p99.99 | %.1f µs |%n"
                  + "| Pillion / parking hand-off at p50, p99, p99.99 | %.2f×, %.2f×, %.2f× |%n"
                  + "| events over 40 ms, Pillion and bare (a lost wake-up waits out the 50 ms"
                  + " poll) | %d, %d |%n",
              latencySamples,
              Percentiles.ofSorted(pillion, 50) / 1e3,
              Percentiles.ofSorted(pillion, 99) / 1e3,
              Percentiles.ofSorted(pillion, 99.99) / 1e3,
              Percentiles.ofSorted(bare, 50) / 1e3,
              Percentiles.ofSorted(bare, 99) / 1e3,
              Percentiles.ofSorted(bare, 99.99) / 1e3,
              (double) Percentiles.ofSorted(pillion, 50) / Percentiles.ofSorted(bare, 50),
              (double) Percentiles.ofSorted(pillion, 99) / Percentiles.ofSorted(bare, 99),
              (double) Percentiles.ofSorted(pillion, 99.99) / Percentiles.ofSorted(bare, 99.99),
              Percentiles.ofSorted(parked, 50) / 1e3,
              Percentiles.ofSorted(parked, 99) / 1e3,
              Percentiles.ofSorted(parked, 99.99) / 1e3,
              (double) Percentiles.ofSorted(pillion, 50) / Percentiles.ofSorted(parked, 50),
              (double) Percentiles.ofSorted(pillion, 99) / Percentiles.ofSorted(parked, 99),
              (double) Percentiles.ofSorted(pillion, 99.99) / Percentiles.ofSorted(parked, 99.99),
              over(pillion, TimeUnit.MILLISECONDS.toNanos(40)),
              over(bare, TimeUnit.MILLISECONDS.toNanos(40))));

      for (int concurrency : new int[] {1, 4}) {
        // A first burst warms up what the latency run did not exercise (a deep queue, several
        // handler threads); the second is measured.
        burst(pubsub, payload, burst, concurrency, "warm-up-" + concurrency);
        Burst measured = burst(pubsub, payload, burst, concurrency, "burst-" + concurrency);
        out.append(
            String.format(
                Locale.ROOT,
                "| burst of %d events, handler concurrency %d: publish rate | %.0f events/s |%n"
                    + "| delivered rate (publish start → last handled) | %.0f events/s |%n"
                    + "| CPU time of the process per event delivered (all threads) | %.1f µs |%n",
                burst,
                concurrency,
                burst / (measured.publishNanos() / 1e9),
                burst / (measured.deliverNanos() / 1e9),
                measured.cpuNanos() / 1e3 / burst));
      }
      out.append(componentCycle(pubsub, Math.max(burst, 1)));
    }
    return out.toString();
  }
}
