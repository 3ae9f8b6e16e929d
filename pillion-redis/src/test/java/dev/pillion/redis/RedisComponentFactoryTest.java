package dev.pillion.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.Pillion;
import dev.pillion.abi.PillionException;
import dev.pillion.abi.redis.Response;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.state.StateBuildingBlock;
import dev.pillion.testing.RedisServerFixture;
import dev.pillion.testing.TestGuests;
import dev.pillion.wasm.ModuleSource;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A component type made with {@link RedisComponentFactory} loads through the runtime like any
 * other: connected at load (a failure names the component), blocking, pooled, its connection closed
 * with the runtime. The module is the C fixture redis-client-state.
 */
class RedisComponentFactoryTest {
  private static final String TYPE = "state.redis-client";
  private static RedisServerFixture server;

  @BeforeAll
  static void start() {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
    server = RedisServerFixture.builder().password("pw").start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static Pillion.Builder runtime(Map<String, String> metadata) {
    ModuleSource fixture =
        ModuleSource.classpath(TestGuests.resource("redis-client-state"), TestGuests.classLoader());
    return Pillion.builder()
        .appId("shop")
        .stateComponentType(
            TYPE,
            RedisComponentFactory.of(
                StateBuildingBlock.create(), TYPE, () -> fixture, () -> fixture))
        .component(ComponentDefinition.builder("cache", TYPE).metadata(metadata).build());
  }

  @Test
  void aComponentConnectsAtLoadRunsCommandsAndClosesItsConnectionWithTheRuntime() throws Exception {
    Map<String, String> metadata =
        Map.of("redisHost", server.address(), "redisPassword", "pw", "keyPrefix", "none");
    try (RedisModule observer = RedisRequests.connect(server, Map.of("redisPassword", "pw"))) {
      long before = connectedClients(observer);
      try (Pillion runtime = runtime(metadata).build()) {
        assertThat(runtime.components())
            .singleElement()
            .satisfies(
                component -> {
                  assertThat(component.type()).isEqualTo(TYPE);
                  assertThat(component.blocking()).isTrue();
                });
        byte[] data = runtime.state("cache").get("cmd:PING").orElseThrow().value();
        assertThat(data[0]).isZero();
        assertThat(
                Response.parseFrom(Arrays.copyOfRange(data, 1, data.length))
                    .getReplies(0)
                    .getBulk()
                    .toStringUtf8())
            .isEqualTo("PONG");
        assertThat(connectedClients(observer)).isGreaterThan(before);
      }
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (connectedClients(observer) != before && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(connectedClients(observer)).isEqualTo(before);
    }
  }

  /**
   * Calls that wait on Redis overlap up to the pool's size: 16 one-second blocking reads take about
   * a second with the Redis default pool, four seconds with a pool of 4.
   */
  @Test
  void waitingCallsOverlapUpToTheRedisPoolSize() throws Exception {
    Map<String, String> metadata =
        Map.of("redisHost", server.address(), "redisPassword", "pw", "keyPrefix", "none");
    try (Pillion runtime = runtime(metadata).build()) {
      assertThat(elapsedMillisOf16BlockingReads(runtime)).isLessThan(2_500);
    }
    Map<String, String> small = new java.util.HashMap<>(metadata);
    small.put("wasm.poolSize", "4");
    try (Pillion runtime = runtime(small).build()) {
      assertThat(elapsedMillisOf16BlockingReads(runtime)).isGreaterThanOrEqualTo(3_500);
    }
  }

  private static long elapsedMillisOf16BlockingReads(Pillion runtime) throws Exception {
    java.util.concurrent.ExecutorService callers =
        java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      long start = System.nanoTime();
      java.util.List<java.util.concurrent.Future<byte[]>> calls = new java.util.ArrayList<>();
      for (int i = 0; i < 16; i++) {
        calls.add(
            callers.submit(
                () ->
                    runtime
                        .state("cache")
                        .get("blocking:BLPOP f:nothing 1")
                        .orElseThrow()
                        .value()));
      }
      for (java.util.concurrent.Future<byte[]> call : calls) {
        assertThat(call.get(30, java.util.concurrent.TimeUnit.SECONDS)[0]).isZero();
      }
      return java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aWrongPasswordOrBadMetadataFailsTheLoadNamingTheComponent() {
    assertThatThrownBy(
            () -> runtime(Map.of("redisHost", server.address(), "redisPassword", "nope")).build())
        .isInstanceOf(PillionException.class)
        .hasMessageContaining("component 'cache'")
        .hasMessageContaining("cannot connect to Redis at " + server.address())
        .hasMessageContaining("WRONGPASS");
    assertThatThrownBy(
            () -> runtime(Map.of("redisHost", server.address(), "redisType", "cluster")).build())
        .hasMessageContaining("component 'cache'")
        .hasMessageContaining("metadata 'redisType' 'cluster' is not supported");
    assertThatThrownBy(
            () ->
                runtime(Map.of("redisHost", server.address(), "url", "file://other.wasm")).build())
        .hasMessageContaining("metadata 'url' is not used by " + TYPE);
  }

  private static long connectedClients(RedisModule observer) {
    String info =
        RedisRequests.text(
            RedisRequests.replies(
                    observer.execute(
                        RedisRequests.pipeline(RedisRequests.command("INFO", "clients")),
                        RedisRequests.MAX_ANSWER))
                .get(0));
    return info.lines()
        .filter(line -> line.startsWith("connected_clients:"))
        .mapToLong(line -> Long.parseLong(line.substring("connected_clients:".length()).trim()))
        .findFirst()
        .orElseThrow();
  }
}
