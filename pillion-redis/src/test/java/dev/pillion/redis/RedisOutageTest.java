package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.Pillion;
import dev.pillion.abi.redis.Reply;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.testing.RedisServerFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Redis killed and restarted (append-only, fsync on every write) while a runtime saves and
 * publishes from several threads: callers get errors during the outage, succeed again after it, and
 * nothing that was acknowledged is lost.
 */
class RedisOutageTest {
  @Test
  void noAcknowledgedWriteOrPublishIsLostAcrossARestart() throws Exception {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
    try (RedisServerFixture server = RedisServerFixture.builder().appendOnly().start()) {
      Map<String, String> connection =
          Map.of("redisHost", server.address(), "maxRetryBackoff", "100ms");
      Set<String> savedKeys = ConcurrentHashMap.newKeySet();
      Set<String> publishedIds = ConcurrentHashMap.newKeySet();
      AtomicInteger failures = new AtomicInteger();
      AtomicInteger savedAfterRestart = new AtomicInteger();
      AtomicInteger publishedAfterRestart = new AtomicInteger();
      AtomicBoolean restarted = new AtomicBoolean();
      AtomicBoolean running = new AtomicBoolean(true);
      try (Pillion runtime =
          Pillion.builder()
              .appId("shop")
              .component(
                  ComponentDefinition.builder("statestore", "state.redis")
                      .metadata(connection)
                      .metadata("keyPrefix", "none")
                      .build())
              .component(
                  ComponentDefinition.builder("pubsub", "pubsub.redis")
                      .metadata(connection)
                      .build())
              .build()) {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          int thread = t;
          workers.add(
              pool.submit(
                  () -> {
                    for (int i = 0; running.get(); i++) {
                      String id = thread + "-" + i;
                      try {
                        if (thread % 2 == 0) {
                          runtime.state("statestore").save("k" + id, "v" + id);
                          savedKeys.add("k" + id);
                        } else {
                          runtime
                              .pubsub("pubsub")
                              .publish(
                                  PublishRequest.builder("orders", "{\"order\":\"" + id + "\"}")
                                      .build());
                          publishedIds.add(id);
                        }
                        if (restarted.get()) {
                          // Saves and publishes go through two components, two connections, which
                          // come back each in its own time: both must have.
                          (thread % 2 == 0 ? savedAfterRestart : publishedAfterRestart)
                              .incrementAndGet();
                        }
                      } catch (RuntimeException e) {
                        failures.incrementAndGet();
                        sleep(20);
                      }
                    }
                  }));
        }
        Thread.sleep(800);
        server.kill();
        Thread.sleep(700);
        server.restart();
        restarted.set(true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while ((savedAfterRestart.get() < 25 || publishedAfterRestart.get() < 25)
            && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        running.set(false);
        for (Future<?> worker : workers) {
          worker.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();

        assertThat(failures.get()).as("errors during the outage").isPositive();
        assertThat(savedAfterRestart.get()).as("saves after it").isGreaterThanOrEqualTo(25);
        assertThat(publishedAfterRestart.get()).as("publishes after it").isGreaterThanOrEqualTo(25);
        for (String key : savedKeys) {
          assertThat(runtime.state("statestore").get(key)).as(key).isPresent();
        }
      }
      try (RedisModule observer = RedisRequests.connect(server)) {
        List<Reply> entries =
            RedisRequests.replies(
                    observer.execute(
                        RedisRequests.pipeline(RedisRequests.command("XRANGE", "orders", "-", "+")),
                        RedisRequests.MAX_ANSWER))
                .get(0)
                .getArray()
                .getItemsList();
        Set<String> stored = new java.util.HashSet<>();
        for (Reply entry : entries) {
          List<Reply> fields = entry.getArray().getItems(1).getArray().getItemsList();
          String event = RedisRequests.text(fields.get(1));
          String marker = "\"order\":\"";
          int at = event.indexOf(marker) + marker.length();
          stored.add(event.substring(at, event.indexOf('"', at)));
        }
        assertThat(stored).containsAll(publishedIds);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
