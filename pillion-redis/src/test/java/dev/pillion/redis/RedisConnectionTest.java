package dev.pillion.redis;

import static dev.pillion.redis.RedisRequests.MAX_ANSWER;
import static dev.pillion.redis.RedisRequests.blocking;
import static dev.pillion.redis.RedisRequests.bulk;
import static dev.pillion.redis.RedisRequests.command;
import static dev.pillion.redis.RedisRequests.connect;
import static dev.pillion.redis.RedisRequests.pipeline;
import static dev.pillion.redis.RedisRequests.replies;
import static dev.pillion.redis.RedisRequests.transaction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.abi.PillionException;
import dev.pillion.testing.RedisServerFixture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How the host connects: authentication, TLS, failures at load, and what callers see while the
 * server is down and after it is back.
 */
class RedisConnectionTest {
  @BeforeAll
  static void needsRedis() {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
  }

  private static void assertWorks(RedisModule redis) {
    assertThat(
            replies(
                redis.execute(
                    pipeline(command("SET", "c:k", "v"), command("GET", "c:k")), MAX_ANSWER)))
        .containsExactly(bulk("OK"), bulk("v"));
  }

  @Test
  void aPasswordAuthenticatesAndAWrongOneFailsTheLoadNamingTheComponent() {
    try (RedisServerFixture server = RedisServerFixture.builder().password("s3cret-pw").start()) {
      try (RedisModule redis = connect(server, Map.of("redisPassword", "s3cret-pw"))) {
        assertWorks(redis);
      }
      assertThatThrownBy(() -> connect(server, Map.of("redisPassword", "wrong-pw")))
          .isInstanceOf(PillionException.class)
          .hasMessageContaining("component 'cache': cannot connect to Redis at " + server.address())
          .hasMessageContaining("WRONGPASS")
          .message()
          .doesNotContain("wrong-pw");
      assertThatThrownBy(() -> connect(server))
          .isInstanceOf(PillionException.class)
          .hasMessageContaining("component 'cache'")
          .hasMessageContaining("NOAUTH");
    }
  }

  @Test
  void anAclUserAuthenticatesWithItsName() {
    try (RedisServerFixture server = RedisServerFixture.builder().user("app", "app-pw").start()) {
      try (RedisModule redis =
          connect(server, Map.of("redisUsername", "app", "redisPassword", "app-pw"))) {
        assertWorks(redis);
      }
      assertThatThrownBy(
              () -> connect(server, Map.of("redisUsername", "app", "redisPassword", "other")))
          .hasMessageContaining("WRONGPASS");
    }
  }

  @Test
  void anUnreachableServerFailsTheLoadNamingTheComponentAndAddress() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String address = "127.0.0.1:" + port;
    assertThatThrownBy(
            () ->
                RedisModule.connect(
                    RedisSettings.from(
                        dev.pillion.config.ComponentDefinition.builder("orders", "state.redis")
                            .metadata("redisHost", address)
                            .metadata("dialTimeout", "1s")
                            .build())))
        .isInstanceOf(PillionException.class)
        .hasMessageContaining("component 'orders': cannot connect to Redis at " + address);
  }

  @Test
  void tlsWithTheServersCaAndMutualTls() {
    try (RedisServerFixture server = RedisServerFixture.builder().tls().start()) {
      try (RedisModule redis =
          connect(server, Map.of("enableTLS", "true", "caCert", server.caCertPem()))) {
        assertWorks(redis);
        // Transactions and blocking calls use TLS connections of their own.
        assertThat(
                replies(redis.execute(transaction(command("INCR", "c:tls")), MAX_ANSWER))
                    .get(0)
                    .getInteger())
            .isEqualTo(1);
        assertThat(redis.execute(blocking(command("BLPOP", "c:none", "0.05")), MAX_ANSWER).status())
            .isZero();
      }
      // The JDK's trust store does not know the test CA.
      assertThatThrownBy(() -> connect(server, Map.of("enableTLS", "true")))
          .isInstanceOf(PillionException.class)
          .hasMessageContaining("component 'cache': cannot connect to Redis at")
          .hasMessageContaining("(TLS)");
      // Plain text to a TLS port never gets an answer.
      assertThatThrownBy(() -> connect(server, Map.of("readTimeout", "1s", "dialTimeout", "1s")))
          .isInstanceOf(PillionException.class);
    }
  }

  @Test
  void mutualTlsSendsTheClientCertificate() {
    try (RedisServerFixture server = RedisServerFixture.builder().mutualTls().start()) {
      try (RedisModule redis =
          connect(
              server,
              Map.of(
                  "enableTLS",
                  "true",
                  "caCert",
                  server.caCertPem(),
                  "clientCert",
                  server.clientCertPem(),
                  "clientKey",
                  server.clientKeyPem()))) {
        assertWorks(redis);
      }
      assertThatThrownBy(
              () -> connect(server, Map.of("enableTLS", "true", "caCert", server.caCertPem())))
          .isInstanceOf(PillionException.class)
          .hasMessageContaining("component 'cache': cannot connect to Redis at");
    }
  }

  @Test
  void whileTheServerIsDownCallsFailAtOnceAndRecoverAfterItRestarts() throws Exception {
    try (RedisServerFixture server = RedisServerFixture.builder().appendOnly().start();
        RedisModule redis = connect(server, Map.of("maxRetryBackoff", "200ms"))) {
      assertThat(replies(redis.execute(pipeline(command("INCR", "c:n")), MAX_ANSWER)))
          .singleElement()
          .extracting(reply -> reply.getInteger())
          .isEqualTo(1L);
      server.kill();
      awaitDisconnected(redis);

      long start = System.nanoTime();
      RedisModule.Result down = redis.execute(pipeline(command("INCR", "c:n")), MAX_ANSWER);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(500);
      assertThat(down.status()).isEqualTo(RedisModule.UNAVAILABLE);
      assertThat(down.reason()).contains("is down; reconnecting");
      assertThat(redis.execute(transaction(command("INCR", "c:n")), MAX_ANSWER).status())
          .isEqualTo(RedisModule.UNAVAILABLE);

      server.restart();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      RedisModule.Result after;
      do {
        Thread.sleep(50);
        after = redis.execute(pipeline(command("INCR", "c:n")), MAX_ANSWER);
      } while (after.status() != 0 && System.nanoTime() < deadline);
      // The acknowledged increment survived (appendfsync always); the refused ones never ran.
      assertThat(replies(after).get(0).getInteger()).isEqualTo(2);
      assertThat(redis.execute(transaction(command("INCR", "c:n")), MAX_ANSWER).status()).isZero();
    }
  }

  /**
   * A command in flight when the server dies fails with status 1, on the shared connection and on
   * an exclusive one, and is never re-sent after the reconnect: the write it would have made stays
   * unmade.
   */
  @Test
  void commandsInFlightFailAndAreNeverReplayed() throws Exception {
    String busyThenWrite =
        "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] "
            + "repeat local n = redis.call('TIME') until n[1] * 1000000 + n[2] - s > 700000 "
            + "return redis.call('INCR', KEYS[1])";
    try (RedisServerFixture server = RedisServerFixture.builder().appendOnly().start();
        RedisModule redis = connect(server, Map.of("maxRetryBackoff", "100ms"))) {
      CompletableFuture<RedisModule.Result> shared =
          CompletableFuture.supplyAsync(
              () ->
                  redis.execute(
                      pipeline(command("EVAL", busyThenWrite, "1", "c:replayed")).toBuilder()
                          .setTimeoutMillis(10_000)
                          .build(),
                      MAX_ANSWER));
      CompletableFuture<RedisModule.Result> exclusive =
          CompletableFuture.supplyAsync(
              () ->
                  redis.execute(
                      blocking(command("BLPOP", "c:never", "0")).toBuilder()
                          .setTimeoutMillis(10_000)
                          .build(),
                      MAX_ANSWER));
      Thread.sleep(300);
      server.kill();
      RedisModule.Result sharedResult = shared.get(5, TimeUnit.SECONDS);
      RedisModule.Result exclusiveResult = exclusive.get(5, TimeUnit.SECONDS);
      assertThat(sharedResult.status()).isEqualTo(RedisModule.UNAVAILABLE);
      assertThat(exclusiveResult.status()).isEqualTo(RedisModule.UNAVAILABLE);

      server.restart();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!redis.connected() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      // A replayed command would be written on the shared connection at the reconnect, before any
      // new one, and Redis answers a connection's commands in order, a script to its end: this
      // GET on the same connection comes after the replayed script's write, had there been one.
      assertThat(replies(redis.execute(pipeline(command("GET", "c:replayed")), MAX_ANSWER)))
          .containsExactly(dev.pillion.redis.RedisRequests.nil());
    }
  }

  @Test
  void closingTheModuleClosesItsConnections() {
    try (RedisServerFixture server = RedisServerFixture.start();
        RedisModule observer = connect(server)) {
      RedisModule redis = connect(server);
      redis.execute(blocking(command("BLPOP", "c:none", "0.01")), MAX_ANSWER);
      awaitClients(observer, 3);
      redis.close();
      awaitClients(observer, 1);
      RedisModule.Result closed = redis.execute(pipeline(command("PING")), MAX_ANSWER);
      assertThat(closed.status()).isEqualTo(RedisModule.UNAVAILABLE);
    }
  }

  private static void awaitClients(RedisModule observer, long expected) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (clients(observer) != expected && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(clients(observer)).isEqualTo(expected);
  }

  private static long clients(RedisModule observer) {
    String info =
        RedisRequests.text(
            replies(observer.execute(pipeline(command("INFO", "clients")), MAX_ANSWER)).get(0));
    for (String line : info.split("\r\n")) {
      if (line.startsWith("connected_clients:")) {
        return Long.parseLong(line.substring("connected_clients:".length()));
      }
    }
    throw new AssertionError("no connected_clients in " + info);
  }

  private static void awaitDisconnected(RedisModule redis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (redis.connected() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(redis.connected()).as("the module noticed the server is gone").isFalse();
  }
}
