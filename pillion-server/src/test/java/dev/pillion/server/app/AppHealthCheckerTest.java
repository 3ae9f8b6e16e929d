package dev.pillion.server.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.Test;

/** daprd's threshold semantics: unhealthy after N consecutive failures, healthy after 1 success. */
class AppHealthCheckerTest {

  /** A probe answering a script of results, one per probe. */
  private static AppHealthProbe scripted(Boolean... results) {
    Queue<Boolean> script = new ArrayDeque<>(List.of(results));
    return timeout -> script.remove();
  }

  @Test
  void unhealthyUntilTheFirstProbeSucceeds() throws Exception {
    AppHealthChecker checker = AppHealthChecker.builder(scripted(false, true)).build();
    assertThat(checker.healthy()).isFalse();
    assertThat(checker.probeOnce()).isFalse();
    assertThat(checker.probeOnce()).isTrue();
  }

  @Test
  void unhealthyAfterThresholdConsecutiveFailuresAndHealthyAfterOneSuccess() throws Exception {
    AppHealthChecker checker =
        AppHealthChecker.builder(scripted(true, false, false, false, true, false, true))
            .threshold(3)
            .build();
    assertThat(checker.probeOnce()).isTrue();
    assertThat(checker.probeOnce()).as("1 failure").isTrue();
    assertThat(checker.probeOnce()).as("2 failures").isTrue();
    assertThat(checker.probeOnce()).as("3 failures").isFalse();
    assertThat(checker.probeOnce()).as("one success").isTrue();
    assertThat(checker.probeOnce()).as("the count restarted").isTrue();
    assertThat(checker.probeOnce()).isTrue();
  }

  @Test
  void failuresMustBeConsecutive() throws Exception {
    AppHealthChecker checker =
        AppHealthChecker.builder(scripted(true, false, false, true, false, false))
            .threshold(3)
            .build();
    for (int i = 0; i < 6; i++) {
      assertThat(checker.probeOnce()).as("probe %d", i).isTrue();
    }
  }

  @Test
  void aProbeThatThrowsOrOverrunsItsTimeoutFails() throws Exception {
    AppHealthChecker throwing =
        AppHealthChecker.builder(
                timeout -> {
                  throw new IllegalStateException("boom");
                })
            .threshold(1)
            .build();
    assertThat(throwing.probeOnce()).isFalse();

    AppHealthChecker slow =
        AppHealthChecker.builder(
                timeout -> {
                  Thread.sleep(timeout.toMillis() + 50);
                  return true;
                })
            .timeout(Duration.ofMillis(20))
            .threshold(1)
            .build();
    assertThat(slow.probeOnce()).isFalse();
  }

  @Test
  void probesRunEveryIntervalOnceStarted() throws Exception {
    java.util.concurrent.atomic.AtomicInteger probes =
        new java.util.concurrent.atomic.AtomicInteger();
    try (AppHealthChecker checker =
        AppHealthChecker.builder(
                timeout -> {
                  probes.incrementAndGet();
                  return true;
                })
            .interval(Duration.ofMillis(20))
            .build()
            .start()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (probes.get() < 5 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(probes.get()).isGreaterThanOrEqualTo(5);
      assertThat(checker.healthy()).isTrue();
    }
  }

  @Test
  void badSettingsAreRefusedNamingTheSetting() {
    AppHealthProbe probe = timeout -> true;
    assertThatThrownBy(() -> AppHealthChecker.builder(probe).threshold(0))
        .hasMessageContaining("app health threshold");
    assertThatThrownBy(() -> AppHealthChecker.builder(probe).interval(Duration.ZERO))
        .hasMessageContaining("app health probe interval");
    assertThatThrownBy(() -> AppHealthChecker.builder(probe).timeout(Duration.ofMillis(-1)))
        .hasMessageContaining("app health probe timeout");
    assertThatThrownBy(() -> HttpAppHealthProbe.create("127.0.0.1", 3000, "healthz"))
        .hasMessageContaining("must start with '/'");
  }

  @Test
  void theHttpProbeWantsA2xxAnswer() throws Exception {
    com.sun.net.httpserver.HttpServer app =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    java.util.concurrent.atomic.AtomicInteger status =
        new java.util.concurrent.atomic.AtomicInteger(204);
    app.createContext(
        "/healthz",
        exchange -> {
          exchange.sendResponseHeaders(status.get(), -1);
          exchange.close();
        });
    app.start();
    try {
      HttpAppHealthProbe probe =
          HttpAppHealthProbe.create("127.0.0.1", app.getAddress().getPort(), "/healthz");
      assertThat(probe.healthy(Duration.ofSeconds(2))).isTrue();
      status.set(503);
      assertThat(probe.healthy(Duration.ofSeconds(2))).isFalse();
      status.set(302);
      assertThat(probe.healthy(Duration.ofSeconds(2))).isFalse();
    } finally {
      app.stop(0);
    }
    HttpAppHealthProbe nobody =
        HttpAppHealthProbe.create("127.0.0.1", app.getAddress().getPort(), "/healthz");
    assertThat(nobody.healthy(Duration.ofMillis(500))).as("connection refused").isFalse();
  }
}
