package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import dev.pillion.testing.RedisServerFixture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two runtimes of one app on one Redis, each with its own connections (as two processes would
 * have): etag retries make their concurrent increments exact, and in one consumer group every
 * message is handled exactly once.
 */
class RedisSharingTest {
  private static RedisServerFixture server;

  @BeforeAll
  static void start() {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
    server = RedisServerFixture.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static Pillion runtime() {
    return Pillion.builder()
        .appId("shop")
        .component(
            ComponentDefinition.builder("statestore", "state.redis")
                .metadata("redisHost", server.address())
                .build())
        .component(
            ComponentDefinition.builder("pubsub", "pubsub.redis")
                .metadata("redisHost", server.address())
                .build())
        .build();
  }

  private static void increment(StateStore store) {
    while (true) {
      Optional<StateItem> item = store.get("counter");
      int value =
          item.map(found -> Integer.parseInt(new String(found.value(), StandardCharsets.UTF_8)))
              .orElse(0);
      SaveRequest.Builder save = SaveRequest.builder("counter", Integer.toString(value + 1));
      if (item.isPresent()) {
        save.etag(item.get().etag().orElseThrow());
      } else {
        save.concurrency(Concurrency.FIRST_WRITE);
      }
      try {
        store.save(save.build());
        return;
      } catch (EtagMismatchException e) {
        // Another writer won this round: read again.
      }
    }
  }

  @Test
  void concurrentIncrementsFromTwoRuntimesAreExact() throws Exception {
    int threadsPerRuntime = 4;
    int rounds = 50;
    ExecutorService pool = Executors.newFixedThreadPool(threadsPerRuntime * 2);
    try (Pillion first = runtime();
        Pillion second = runtime()) {
      List<Future<?>> futures = new ArrayList<>();
      for (Pillion runtime : List.of(first, second)) {
        for (int t = 0; t < threadsPerRuntime; t++) {
          futures.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < rounds; i++) {
                      increment(runtime.state("statestore"));
                    }
                  }));
        }
      }
      for (Future<?> future : futures) {
        future.get(120, TimeUnit.SECONDS);
      }
      assertThat(
              new String(
                  first.state("statestore").get("counter").orElseThrow().value(),
                  StandardCharsets.UTF_8))
          .isEqualTo(Integer.toString(threadsPerRuntime * 2 * rounds));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void inOneConsumerGroupEveryMessageIsHandledExactlyOnce() throws Exception {
    int messages = 200;
    Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
    AtomicInteger byFirst = new AtomicInteger();
    AtomicInteger bySecond = new AtomicInteger();
    try (Pillion first = runtime();
        Pillion second = runtime();
        Subscription one = subscribe(first, handled, byFirst);
        Subscription two = subscribe(second, handled, bySecond)) {
      for (int i = 0; i < messages; i++) {
        (i % 2 == 0 ? first : second)
            .pubsub("pubsub")
            .publish(PublishRequest.builder("shared", "{\"n\":" + i + "}").build());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (handled.size() < messages && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      // An ordered pull reads no new message while any of the group's is pending, so a marker
      // published last is handled only once every earlier message was acknowledged: none is left
      // to be delivered again.
      String marker = "{\"n\":\"marker\"}";
      first.pubsub("pubsub").publish(PublishRequest.builder("shared", marker).build());
      while (!handled.containsKey(marker) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(handled).hasSize(messages + 1);
      assertThat(handled.values()).allSatisfy(count -> assertThat(count).hasValue(1));
      assertThat(byFirst.get() + bySecond.get()).isEqualTo(messages + 1);
    }
  }

  private static Subscription subscribe(
      Pillion runtime, Map<String, AtomicInteger> handled, AtomicInteger counter) {
    return runtime
        .pubsub("pubsub")
        .subscribe(
            SubscriptionOptions.builder("shared").build(),
            event -> {
              handled
                  .computeIfAbsent(event.dataAsString(), key -> new AtomicInteger())
                  .incrementAndGet();
              counter.incrementAndGet();
              return DeliveryResult.SUCCESS;
            });
  }
}
