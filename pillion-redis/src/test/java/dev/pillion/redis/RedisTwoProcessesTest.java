package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.Pillion;
import dev.pillion.abi.redis.Reply;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.testing.RedisServerFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runtimes of one app in two JVMs on one Redis, as two processes of a scaled-out app have them:
 * this test's runtime and a {@link SharingPeer} in a child JVM. Their concurrent etag-checked
 * increments of one counter are exact; in one consumer group every message is handled exactly once;
 * and when the child is killed (SIGKILL) while its handlers hold messages it pulled, this runtime
 * gets them after {@code processingTimeout}.
 */
class RedisTwoProcessesTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static RedisServerFixture server;

  @TempDir Path dir;

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

  /** A {@link SharingPeer} in a JVM of its own; its output lines are collected as they come. */
  private static final class Peer implements AutoCloseable {
    private final Process process;
    private final Path errors;
    private final Writer input;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    Peer(Path errors, String... args) throws IOException {
      List<String> command =
          new ArrayList<>(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-cp",
                  System.getProperty("java.class.path"),
                  SharingPeer.class.getName(),
                  server.address()));
      command.addAll(List.of(args));
      this.errors = errors;
      this.process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
      this.input =
          new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      this.reader = new Thread(this::read, "sharing-peer-output");
      reader.setDaemon(true);
      reader.start();
    }

    private void read() {
      try (BufferedReader output =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = output.readLine(); line != null; line = output.readLine()) {
          synchronized (lines) {
            lines.add(line);
            lines.notifyAll();
          }
        }
      } catch (IOException e) {
        // The process was killed: what it printed before is kept.
      }
    }

    /** The lines so far that start with a prefix, without it. */
    List<String> linesStartingWith(String prefix) {
      synchronized (lines) {
        return lines.stream()
            .filter(line -> line.startsWith(prefix))
            .map(line -> line.substring(prefix.length()))
            .toList();
      }
    }

    /** Waits (bounded) until at least {@code count} lines start with a prefix. */
    List<String> await(String prefix, int count) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      synchronized (lines) {
        while (linesStartingWith(prefix).size() < count
            && process.isAlive()
            && System.nanoTime() < deadline) {
          lines.wait(100);
        }
      }
      List<String> found = linesStartingWith(prefix);
      assertThat(found)
          .as("lines '%s' from the peer; its output %s; its errors:%n%s", prefix, lines, errors())
          .hasSizeGreaterThanOrEqualTo(count);
      return found;
    }

    void send(String line) throws IOException {
      input.write(line + "\n");
      input.flush();
    }

    /** Kills the peer at once (SIGKILL), as a crash would, and waits until it is gone. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the killed peer exited").isTrue();
    }

    String errors() {
      try {
        return Files.exists(errors) ? Files.readString(errors) : "";
      } catch (IOException e) {
        return e.toString();
      }
    }

    @Override
    public void close() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private Peer peer(String... args) throws IOException {
    return new Peer(Files.createTempFile(dir, "peer", ".err"), args);
  }

  /** Waits (bounded) for a condition that a signal does not announce (Redis's pending count). */
  private static void awaitCondition(String what, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(condition.getAsBoolean()).as(what).isTrue();
  }

  /** How many messages of a topic the app's consumer group has pulled and not acknowledged. */
  private static long pending(String topic) {
    try (RedisModule observer = RedisRequests.connect(server)) {
      Reply summary =
          RedisRequests.replies(
                  observer.execute(
                      RedisRequests.pipeline(
                          RedisRequests.command("XPENDING", topic, SharingPeer.APP_ID)),
                      RedisRequests.MAX_ANSWER))
              .get(0);
      return summary.getArray().getItems(0).getInteger();
    }
  }

  @Test
  void incrementsFromBothProcessesAreExact() throws Exception {
    int threads = 4;
    int rounds = 50;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (Pillion runtime = SharingPeer.runtime(server.address());
        Peer peer = peer("count", Integer.toString(threads), Integer.toString(rounds))) {
      peer.await("ready", 1);
      peer.send("go");
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        workers.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < rounds; i++) {
                    SharingPeer.increment(runtime.state("statestore"));
                  }
                }));
      }
      for (Future<?> worker : workers) {
        worker.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      peer.await("done", 1);
      assertThat(
              new String(
                  runtime.state("statestore").get(SharingPeer.COUNTER).orElseThrow().value(),
                  StandardCharsets.UTF_8))
          .isEqualTo(Integer.toString(2 * threads * rounds));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void inOneConsumerGroupAcrossProcessesEveryMessageIsHandledOnce() throws Exception {
    String topic = "shared";
    int each = 150;
    Map<String, AtomicInteger> handledHere = new ConcurrentHashMap<>();
    try (Pillion runtime = SharingPeer.runtime(server.address());
        Subscription subscription =
            runtime
                .pubsub("pubsub")
                .subscribe(
                    SubscriptionOptions.builder(topic).concurrency(SharingPeer.CONCURRENCY).build(),
                    event -> {
                      handledHere
                          .computeIfAbsent(event.dataAsString(), key -> new AtomicInteger())
                          .incrementAndGet();
                      return DeliveryResult.SUCCESS;
                    });
        Peer peer = peer("share", topic, Integer.toString(each))) {
      peer.await("subscribed", 1);
      peer.send("go");
      Set<String> published = new HashSet<>();
      for (int i = 0; i < each; i++) {
        String event = SharingPeer.event("p-" + i);
        runtime.pubsub("pubsub").publish(PublishRequest.builder(topic, event).build());
        published.add(event);
        published.add(SharingPeer.event("c-" + i));
      }
      peer.await("published", 1);
      awaitCondition(
          "every message handled by one of the two",
          () ->
              handledHere.size() + new HashSet<>(peer.linesStartingWith("handled ")).size()
                  >= published.size());
      // Nothing pending in the group: every delivery was acknowledged, so none can come again.
      awaitCondition("no message pending", () -> pending(topic) == 0);

      Map<String, Integer> handled = new HashMap<>();
      handledHere.forEach((event, count) -> handled.merge(event, count.get(), Integer::sum));
      List<String> byPeer = peer.linesStartingWith("handled ");
      byPeer.forEach(event -> handled.merge(event, 1, Integer::sum));
      assertThat(handled.keySet()).isEqualTo(published);
      assertThat(handled).allSatisfy((event, count) -> assertThat(count).as(event).isEqualTo(1));
      assertThat(handledHere).as("handled by this process").isNotEmpty();
      assertThat(byPeer).as("handled by the peer").isNotEmpty();
    }
  }

  @Test
  void messagesHeldByAKilledProcessAreDeliveredToTheOtherAfterTheProcessingTimeout()
      throws Exception {
    String topic = "held";
    int messages = 2 * SharingPeer.CONCURRENCY;
    Set<String> published = new HashSet<>();
    try (Pillion runtime = SharingPeer.runtime(server.address());
        Peer peer = peer("hold", topic)) {
      peer.await("subscribed", 1);
      long publishedAt = System.nanoTime();
      for (int i = 0; i < messages; i++) {
        String event = SharingPeer.event("h-" + i);
        runtime.pubsub("pubsub").publish(PublishRequest.builder(topic, event).build());
        published.add(event);
      }
      // Every handler of the peer holds a message it pulled; none is acknowledged.
      List<String> held = peer.await("holding ", SharingPeer.CONCURRENCY);
      assertThat(pending(topic)).isGreaterThanOrEqualTo(SharingPeer.CONCURRENCY);
      peer.kill();

      Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
      Map<String, Long> handledAt = new ConcurrentHashMap<>();
      try (Subscription subscription =
          runtime
              .pubsub("pubsub")
              .subscribe(
                  SubscriptionOptions.builder(topic).concurrency(SharingPeer.CONCURRENCY).build(),
                  event -> {
                    handled
                        .computeIfAbsent(event.dataAsString(), key -> new AtomicInteger())
                        .incrementAndGet();
                    handledAt.putIfAbsent(event.dataAsString(), System.nanoTime());
                    return DeliveryResult.SUCCESS;
                  })) {
        awaitCondition("every message handled here", () -> handled.size() >= messages);
        awaitCondition("no message pending", () -> pending(topic) == 0);
      }
      assertThat(handled.keySet()).isEqualTo(published).containsAll(held);
      assertThat(handled).allSatisfy((event, count) -> assertThat(count).as(event).hasValue(1));
      // A held message is taken over only once it has been idle for processingTimeout; it
      // was pulled after it was published.
      for (String event : held) {
        assertThat(Duration.ofNanos(handledAt.get(event) - publishedAt))
            .as("%s handled here after", event)
            .isGreaterThanOrEqualTo(SharingPeer.PROCESSING_TIMEOUT);
      }
    }
  }
}
