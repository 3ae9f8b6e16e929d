package dev.pillion.redis;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.state.Concurrency;
import dev.pillion.state.EtagMismatchException;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The other runtime of {@link RedisTwoProcessesTest}, run in a JVM of its own: it builds the same
 * runtime as the test ({@link #runtime(String)}) on the Redis given as its first argument, runs one
 * scenario and reports on standard output, one line per event, which the test reads. It waits for
 * the test's {@code go} on standard input where the test needs both sides to start together, and
 * exits when standard input closes (or is killed).
 *
 * <ul>
 *   <li>{@code count <threads> <rounds>}: prints {@code ready}, waits for {@code go}, increments
 *       the counter {@code threads * rounds} times with etag retries, prints {@code done}.
 *   <li>{@code share <topic> <count>}: subscribes (concurrency 4), prints {@code subscribed}, waits
 *       for {@code go}, publishes the events {@code c-0} to {@code c-<count-1>} ({@link #event}),
 *       prints {@code published}; prints {@code handled <data>} for every event its handler gets.
 *   <li>{@code hold <topic>}: subscribes with concurrency 4 and a handler that prints {@code
 *       holding <data>} and never returns, so what it pulls stays pending; prints {@code
 *       subscribed}.
 * </ul>
 */
public final class SharingPeer {
  /** The app id of both runtimes: their subscriptions are one consumer group. */
  static final String APP_ID = "shop";

  /** How long a pulled message stays with its consumer before another may take it. */
  static final java.time.Duration PROCESSING_TIMEOUT = java.time.Duration.ofSeconds(2);

  /** The counter both runtimes increment. */
  static final String COUNTER = "counter";

  /** Handlers that may run at once in each runtime. */
  static final int CONCURRENCY = 4;

  private static final PrintStream OUT =
      new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

  private SharingPeer() {}

  /**
   * The runtime both processes build: {@code state.redis} and {@code pubsub.redis} on one Redis,
   * with a short {@code processingTimeout} so a dead runtime's messages are taken over quickly.
   */
  static Pillion runtime(String redisAddress) {
    return Pillion.builder()
        .appId(APP_ID)
        .component(
            ComponentDefinition.builder("statestore", "state.redis")
                .metadata("redisHost", redisAddress)
                .build())
        .component(
            ComponentDefinition.builder("pubsub", "pubsub.redis")
                .metadata("redisHost", redisAddress)
                .metadata("processingTimeout", PROCESSING_TIMEOUT.toMillis() + "ms")
                .metadata("redeliverInterval", "500ms")
                .build())
        .build();
  }

  /**
   * Increments the counter once, reading it again whenever another writer won the round.
   *
   * @return how many rounds another writer won
   */
  static int increment(StateStore store) {
    for (int lost = 0; ; lost++) {
      Optional<StateItem> item = store.get(COUNTER);
      int value =
          item.map(found -> Integer.parseInt(new String(found.value(), StandardCharsets.UTF_8)))
              .orElse(0);
      SaveRequest.Builder save = SaveRequest.builder(COUNTER, Integer.toString(value + 1));
      if (item.isPresent()) {
        save.etag(item.get().etag().orElseThrow());
      } else {
        save.concurrency(Concurrency.FIRST_WRITE);
      }
      try {
        store.save(save.build());
        return lost;
      } catch (EtagMismatchException e) {
        // Another writer won this round: read again.
      }
    }
  }

  /**
   * Runs one scenario.
   *
   * @param args the Redis address, the scenario and its parameters (see the class comment)
   * @throws Exception on failure, which ends the process with a stack trace on standard error
   */
  public static void main(String[] args) throws Exception {
    BufferedReader commands =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (Pillion runtime = runtime(args[0])) {
      switch (args[1]) {
        case "count" ->
            count(runtime, Integer.parseInt(args[2]), Integer.parseInt(args[3]), commands);
        case "share" -> share(runtime, args[2], Integer.parseInt(args[3]), commands);
        case "hold" -> hold(runtime, args[2], commands);
        default -> throw new IllegalArgumentException("unknown scenario: " + args[1]);
      }
    }
    // Pillion's threads must not keep a finished peer alive.
    System.exit(0);
  }

  /** The event published with an id: a JSON object whose text both sides report. */
  static String event(String id) {
    return "{\"id\":\"" + id + "\"}";
  }

  private static void awaitGo(BufferedReader commands) throws IOException {
    String line = commands.readLine();
    if (!"go".equals(line)) {
      throw new IllegalStateException("expected go, got " + line);
    }
  }

  private static void awaitEndOfInput(BufferedReader commands) throws IOException {
    while (commands.readLine() != null) {
      // Nothing else is expected; the test closes standard input to stop this peer.
    }
  }

  private static void count(Pillion runtime, int threads, int rounds, BufferedReader commands)
      throws Exception {
    OUT.println("ready");
    awaitGo(commands);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicInteger lost = new AtomicInteger();
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        workers.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < rounds; i++) {
                    lost.addAndGet(increment(runtime.state("statestore")));
                  }
                }));
      }
      for (Future<?> worker : workers) {
        worker.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    OUT.println("done " + lost.get());
  }

  private static void share(Pillion runtime, String topic, int count, BufferedReader commands)
      throws Exception {
    try (Subscription subscription =
        runtime
            .pubsub("pubsub")
            .subscribe(
                SubscriptionOptions.builder(topic).concurrency(CONCURRENCY).build(),
                event -> {
                  OUT.println("handled " + event.dataAsString());
                  return DeliveryResult.SUCCESS;
                })) {
      OUT.println("subscribed");
      awaitGo(commands);
      for (int i = 0; i < count; i++) {
        runtime.pubsub("pubsub").publish(PublishRequest.builder(topic, event("c-" + i)).build());
      }
      OUT.println("published");
      awaitEndOfInput(commands);
    }
  }

  private static void hold(Pillion runtime, String topic, BufferedReader commands)
      throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    try (Subscription subscription =
        runtime
            .pubsub("pubsub")
            .subscribe(
                SubscriptionOptions.builder(topic)
                    .concurrency(CONCURRENCY)
                    .handlerTimeout(java.time.Duration.ofMinutes(5))
                    .build(),
                event -> {
                  OUT.println("holding " + event.dataAsString());
                  never.await();
                  return DeliveryResult.SUCCESS;
                })) {
      OUT.println("subscribed");
      awaitEndOfInput(commands);
    }
  }
}
