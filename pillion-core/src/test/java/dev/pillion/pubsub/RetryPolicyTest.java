package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The retry policy: capped backoff, stuck-message tracking and reporting, what counts as RETRY. */
class RetryPolicyTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static WasmHost host;
  private DefaultPubSub pubsub;
  private final List<LogRecord> warnings = new CopyOnWriteArrayList<>();
  private final Logger runnerLog = Logger.getLogger(SubscriptionRunner.class.getName());
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
            warnings.add(record);
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeAll
  static void startHost() {
    host = WasmHost.create();
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  @BeforeEach
  void create() {
    pubsub =
        DefaultPubSub.create(
            "pubsub",
            WasmPubSubComponent.load(
                host,
                ComponentSpec.builder()
                    .name("pubsub")
                    .contract(PubSubComponentContract.CONTRACT)
                    .source(BundledComponents.pubsubInMemory())
                    // As the runtime loads it: queues in the host, instances pooled.
                    .grant(
                        KeyValueModule.create(
                            KeyValueStore.builder("pubsub").ordered(true).build()))
                    .instanceModel(InstanceModel.POOLED)
                    .build(),
                Map.of()),
            "app");
    runnerLog.addHandler(capture);
  }

  @AfterEach
  void close() {
    runnerLog.removeHandler(capture);
    pubsub.close();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  @Test
  void backoffDoublesFromTheInitialDelayUpToTheCap() {
    SubscriptionOptions defaults = SubscriptionOptions.builder("t").build();
    assertThat(defaults.initialBackoff()).isEqualTo(Duration.ofMillis(100));
    assertThat(defaults.maxBackoff()).isEqualTo(Duration.ofSeconds(60));
    assertThat(defaults.maxRetries()).isEqualTo(5);
    long[] expected = {100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000};
    for (int failed = 1; failed <= expected.length; failed++) {
      assertThat(SubscriptionRunner.backoffMillis(defaults, failed))
          .as("after %d failed deliveries", failed)
          .isEqualTo(expected[failed - 1]);
    }
    assertThat(SubscriptionRunner.backoffMillis(defaults, 0xFFFF_FFFFL)).isEqualTo(60_000);
  }

  @Test
  void backoffNeverOverflowsOrLoopsLong() {
    SubscriptionOptions zero =
        SubscriptionOptions.builder("t").backoff(Duration.ZERO, Duration.ZERO).build();
    assertThat(SubscriptionRunner.backoffMillis(zero, 0xFFFF_FFFFL)).isZero();
    SubscriptionOptions zeroInitial =
        SubscriptionOptions.builder("t").backoff(Duration.ZERO, Duration.ofSeconds(1)).build();
    assertThat(SubscriptionRunner.backoffMillis(zeroInitial, 0xFFFF_FFFFL)).isZero();
    Duration longest = Duration.ofMillis(Integer.MAX_VALUE);
    SubscriptionOptions huge =
        SubscriptionOptions.builder("t").backoff(longest.minusMillis(1), longest).build();
    assertThat(SubscriptionRunner.backoffMillis(huge, 1)).isEqualTo(Integer.MAX_VALUE - 1L);
    assertThat(SubscriptionRunner.backoffMillis(huge, 40)).isEqualTo(Integer.MAX_VALUE);
    SubscriptionOptions oneMilli =
        SubscriptionOptions.builder("t").backoff(Duration.ofMillis(1), longest).build();
    assertThat(SubscriptionRunner.backoffMillis(oneMilli, 31)).isEqualTo(1L << 30);
    assertThat(SubscriptionRunner.backoffMillis(oneMilli, 32)).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void badOptionsAreRefusedNamingTheValue() {
    SubscriptionOptions.Builder builder = SubscriptionOptions.builder("t");
    assertThatThrownBy(() -> builder.backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("initial PT2S and max PT1S");
    assertThatThrownBy(() -> builder.backoff(Duration.ofMillis(-1), Duration.ofSeconds(1)))
        .hasMessageContaining("0 <= initial <= max");
    assertThatThrownBy(() -> builder.backoff(Duration.ZERO, Duration.ofDays(30)))
        .hasMessageContaining("max backoff must be at most")
        .hasMessageContaining("PT720H");
    assertThatThrownBy(() -> builder.backoff(null, Duration.ofSeconds(1)))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("initial backoff");
    assertThatThrownBy(() -> builder.handlerTimeout(Duration.ZERO))
        .hasMessageContaining("handlerTimeout must be positive, got PT0S");
    assertThatThrownBy(() -> builder.deadLetterTopic(""))
        .hasMessageContaining("deadLetterTopic must not be empty");
    assertThatThrownBy(() -> builder.maxRetries(-1)).hasMessageContaining("got -1");
  }

  @Test
  void stuckMessagesAreReportedAtOnceThenAtMostOncePerInterval() {
    AtomicLong now = new AtomicLong(1_000);
    StuckMessages stuck = new StuckMessages(now::get);
    Duration horizon = Duration.ofMinutes(10);

    StuckMessages.Report first = stuck.failed("m1", "e1", 6, horizon).orElseThrow();
    assertThat(first.count()).isEqualTo(1);
    assertThat(first.newSinceLastReport()).isEqualTo(1);
    assertThat(first.oldest().eventId()).isEqualTo("e1");

    // Retries within the interval, and a second message getting stuck: no report, but counted.
    for (int delivery = 7; delivery < 100; delivery++) {
      now.addAndGet(Duration.ofMillis(100).toNanos());
      assertThat(stuck.failed("m1", "e1", delivery, horizon)).isEmpty();
    }
    assertThat(stuck.failed("m2", "e2", 6, horizon)).isEmpty();
    assertThat(stuck.count()).isEqualTo(2);

    now.addAndGet(StuckMessages.REPORT_INTERVAL.toNanos());
    StuckMessages.Report second = stuck.failed("m2", "e2", 7, horizon).orElseThrow();
    assertThat(second.count()).isEqualTo(2);
    assertThat(second.newSinceLastReport()).isEqualTo(1);
    assertThat(second.oldest().id()).isEqualTo("m1");
    assertThat(second.oldest().deliveries()).isEqualTo(99);
    assertThat(second.oldestFor()).isGreaterThan(StuckMessages.REPORT_INTERVAL);

    assertThat(stuck.settled("m1")).isPresent();
    assertThat(stuck.settled("m1")).isEmpty();
    assertThat(stuck.count()).isEqualTo(1);
  }

  @Test
  void aStuckMessageThatStopsComingBackIsForgotten() {
    AtomicLong now = new AtomicLong();
    StuckMessages stuck = new StuckMessages(now::get);
    stuck.failed("m1", "e1", 6, Duration.ofSeconds(30));
    now.addAndGet(Duration.ofSeconds(29).toNanos());
    assertThat(stuck.count()).isEqualTo(1);
    stuck.failed("m1", "e1", 7, Duration.ofSeconds(30));
    now.addAndGet(Duration.ofSeconds(29).toNanos());
    assertThat(stuck.count()).as("its horizon restarts at each failure").isEqualTo(1);
    now.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThat(stuck.count()).isZero();
  }

  @Test
  void aStuckMessageIsLoggedAsAWarningWithTheCount() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    try (Subscription subscription =
        pubsub.subscribe(
            SubscriptionOptions.builder("poison")
                .maxRetries(2)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(5))
                .build(),
            event -> {
              attempts.incrementAndGet();
              throw new IllegalStateException("boom");
            })) {
      pubsub.publish(PublishRequest.builder("poison", "x").build());
      await(() -> attempts.get() >= 30, "many retries");
      assertThat(subscription.stuckMessages()).isEqualTo(1);
    }
    List<String> stuckWarnings =
        warnings.stream()
            .map(LogRecord::getMessage)
            .filter(m -> m.contains("still being retried"))
            .toList();
    assertThat(stuckWarnings).isNotEmpty();
    assertThat(stuckWarnings.get(0))
        .contains("'app' of pubsub/poison")
        .contains("1 message has failed more than maxRetries (2) deliveries")
        .contains("no dead-letter topic")
        .contains("has failed 3 deliveries")
        .contains("holds up the later events");
    // Rate-limited: 30 retries, but one warning per minute at most (a loaded machine may cross a
    // minute boundary once), never one per retry.
    assertThat(stuckWarnings.size()).isLessThan(attempts.get() / 2);
  }

  @Test
  void aHandlerAnsweringSuccessAfterItsTimeoutIsRetried() throws Exception {
    List<Integer> deliveries = new CopyOnWriteArrayList<>();
    try (Subscription subscription =
        pubsub.subscribe(
            SubscriptionOptions.builder("late")
                .handlerTimeout(Duration.ofMillis(100))
                .backoff(Duration.ofMillis(1), Duration.ofMillis(5))
                .build(),
            event -> {
              deliveries.add(event.deliveryCount());
              if (event.deliveryCount() == 1) {
                // Ignores the interrupt the timeout sends, then claims success: too late.
                while (!Thread.interrupted()) {
                  Thread.onSpinWait();
                }
              }
              return DeliveryResult.SUCCESS;
            })) {
      pubsub.publish(PublishRequest.builder("late", "x").build());
      await(() -> deliveries.size() == 2, "the retry of the timed-out delivery");
      assertThat(deliveries).containsExactly(1, 2);
      assertThat(subscription.stuckMessages()).isZero();
    }
    assertThat(warnings)
        .extracting(LogRecord::getMessage)
        .anyMatch(m -> m.contains("exceeded PT0.1S") && m.contains("answered SUCCESS late"));
  }

  @Test
  void aHandlerThrowingAnErrorIsRetriedWithoutWaitingForItsLease() throws Exception {
    List<Integer> deliveries = new CopyOnWriteArrayList<>();
    // The lease is the handler timeout plus 10 s: a retry within the wait below comes from the
    // RETRY acknowledgement, not from the lease running out.
    try (Subscription subscription =
        pubsub.subscribe(
            SubscriptionOptions.builder("errors")
                .handlerTimeout(Duration.ofMinutes(5))
                .backoff(Duration.ofMillis(1), Duration.ofMillis(5))
                .build(),
            event -> {
              deliveries.add(event.deliveryCount());
              if (event.deliveryCount() == 1) {
                throw new StackOverflowError("deep");
              }
              return DeliveryResult.SUCCESS;
            })) {
      pubsub.publish(PublishRequest.builder("errors", "x").build());
      await(() -> deliveries.size() == 2, "the retry after the Error");
      assertThat(deliveries).containsExactly(1, 2);
    }
  }

  @Test
  void failedPullsDoNotStopDelivery() throws Exception {
    // A component whose pulls fail for a while (a trapped instance being replaced, say): more
    // failures than the subscription has handler slots.
    AtomicInteger failuresLeft = new AtomicInteger(5);
    PubSubComponent inner = pubsub.component();
    PubSubComponent flaky =
        new DelegatingPubSubComponent(inner) {
          @Override
          public List<Message> pull(PullRequest request) {
            if (failuresLeft.getAndDecrement() > 0) {
              throw new PubSubException("pubsub", "instance trapped", null);
            }
            return super.pull(request);
          }

          @Override
          public void close() {
            // The runtime's component: closed by the runtime, not by this wrapper's user.
          }
        };
    List<String> handled = new CopyOnWriteArrayList<>();
    try (DefaultPubSub flakyPubSub = DefaultPubSub.create("pubsub", flaky, "app");
        Subscription subscription =
            flakyPubSub.subscribe(
                SubscriptionOptions.builder("flaky-pulls").concurrency(2).build(),
                event -> {
                  handled.add(event.dataAsString());
                  return DeliveryResult.SUCCESS;
                })) {
      flakyPubSub.publish(PublishRequest.builder("flaky-pulls", "x").build());
      // Each failed pull waits 500 ms before the next: about 2.5 s.
      await(() -> handled.size() == 1, "delivery after the failed pulls");
      assertThat(failuresLeft.get()).isNegative();
    }
  }

  @Test
  void competingConsumersShareOneStuckCount() throws Exception {
    AtomicInteger attempts = new AtomicInteger();
    EventHandler failing =
        event -> {
          attempts.incrementAndGet();
          return DeliveryResult.RETRY;
        };
    SubscriptionOptions options =
        SubscriptionOptions.builder("shared")
            .subscriptionName("workers")
            .concurrency(2)
            .maxRetries(0)
            .backoff(Duration.ofMillis(1), Duration.ofMillis(5))
            .build();
    try (Subscription a = pubsub.subscribe(options, failing);
        Subscription b = pubsub.subscribe(options, failing);
        Subscription other =
            pubsub.subscribe(
                SubscriptionOptions.builder("shared").subscriptionName("audit").build(),
                event -> DeliveryResult.SUCCESS)) {
      pubsub.publish(PublishRequest.builder("shared", "x").build());
      await(() -> attempts.get() >= 20, "retries by both consumers");
      assertThat(a.stuckMessages()).isEqualTo(1);
      assertThat(b.stuckMessages()).isEqualTo(1);
      assertThat(other.stuckMessages()).isZero();
    }
  }
}
