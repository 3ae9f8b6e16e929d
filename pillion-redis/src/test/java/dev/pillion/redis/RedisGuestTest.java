package dev.pillion.redis;

import static dev.pillion.redis.RedisRequests.bulk;
import static dev.pillion.redis.RedisRequests.connect;
import static dev.pillion.redis.RedisRequests.integer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.redis.Reply;
import dev.pillion.abi.redis.Response;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.testing.RedisServerFixture;
import dev.pillion.testing.TestGuests;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.ComponentTrapException;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.ModuleSource;
import dev.pillion.wasm.WasmComponent;
import dev.pillion.wasm.WasmHost;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The capability as a guest uses it: components/fixtures/redis-client-state.c calls {@code execute}
 * and {@code take} through Wasm, including every way of misusing them, each of which traps and
 * discards only the guilty instance.
 */
class RedisGuestTest {
  private static final String FIXTURE = "redis-client-state";

  private static RedisServerFixture server;
  private static WasmHost host;

  /** What a get of the fixture answered: the status byte and the answer's bytes. */
  record Answer(int status, byte[] bytes) {
    List<Reply> replies() {
      assertThat(status).as("status; reason: %s", reason()).isZero();
      try {
        return Response.parseFrom(bytes).getRepliesList();
      } catch (InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }

    String reason() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  @BeforeAll
  static void start() {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
    server = RedisServerFixture.start();
    host = WasmHost.create();
  }

  @AfterAll
  static void stop() {
    if (host != null) {
      host.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static WasmComponent load(RedisModule redis) {
    return host.load(
        ComponentSpec.builder()
            .name(FIXTURE)
            .contract(StateStoreContract.CONTRACT)
            .source(ModuleSource.classpath(TestGuests.resource(FIXTURE), TestGuests.classLoader()))
            .grant(redis)
            .instanceModel(InstanceModel.POOLED)
            .build());
  }

  private static Answer get(WasmComponent component, String key) {
    byte[] response =
        component.call(
            StateStoreContract.GET, GetRequest.newBuilder().setKey(key).build().toByteArray());
    try {
      byte[] data = GetResponse.parseFrom(response).getData().toByteArray();
      return new Answer(data[0], Arrays.copyOfRange(data, 1, data.length));
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aGuestRunsPipelinesTransactionsAndBlockingReads() {
    try (WasmComponent component = load(connect(server))) {
      assertThat(component.isBlocking()).isTrue();
      assertThat(get(component, "cmd:SET g:k value").replies()).containsExactly(bulk("OK"));
      assertThat(get(component, "cmd:GET g:k").replies()).containsExactly(bulk("value"));
      assertThat(get(component, "tx:INCR g:n|INCR g:n|GET g:n").replies())
          .containsExactly(integer(1), integer(2), bulk("2"));
      assertThat(get(component, "blocking:BLPOP g:none 0.05").replies().get(0).getNil()).isTrue();
      Answer refused = get(component, "cmd:CONFIG GET requirepass");
      assertThat(refused.status()).isEqualTo(RedisModule.REFUSED);
      assertThat(refused.reason()).contains("CONFIG").contains("is not allowed");
    }
  }

  @Test
  void pooledInstancesEachKeepTheirOwnAnswer() throws Exception {
    int threads = 8;
    int rounds = 100;
    Set<Long> seen = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (WasmComponent component = load(connect(server))) {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < rounds; i++) {
                    Reply reply = get(component, "cmd:INCR g:pooled").replies().get(0);
                    assertThat(seen.add(reply.getInteger())).isTrue();
                  }
                }));
      }
      for (Future<?> future : futures) {
        future.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(seen).hasSize(threads * rounds).contains((long) threads * rounds);
  }

  @Test
  void everyMisuseTrapsDiscardingOnlyThatInstance() {
    try (WasmComponent component = load(connect(server));
        WasmComponent bystander = load(connect(server))) {
      assertThat(get(bystander, "cmd:SET g:bystander kept").replies()).containsExactly(bulk("OK"));
      List<List<String>> cases =
          List.of(
              List.of("badptr", "pillion_redis_v1.execute", "lies outside the guest's"),
              List.of("badlen", "pillion_redis_v1.execute", "exceeds the limit of"),
              List.of("garbage", "pillion_redis_v1.execute", "malformed Request"),
              List.of("huge", "pillion_redis_v1.execute", "exceeds the limit of 4194304"),
              List.of("take-first", "pillion_redis_v1.take", "there is no answer to take"),
              List.of("take-small", "pillion_redis_v1.take", "does not fit the output buffer"),
              List.of("take-outside", "pillion_redis_v1.take", "lies outside the guest's"),
              List.of("take-twice", "pillion_redis_v1.take", "there is no answer to take"));
      int discarded = component.discardedInstances();
      for (List<String> misuse : cases) {
        assertThatThrownBy(() -> get(component, misuse.get(0)))
            .as(misuse.get(0))
            .isInstanceOf(ComponentTrapException.class)
            .hasMessageContaining("guest misused a host function: " + misuse.get(1))
            .hasMessageContaining(misuse.get(2));
        assertThat(get(component, "cmd:PING").replies()).containsExactly(bulk("PONG"));
      }
      assertThat(component.discardedInstances()).isEqualTo(discarded + cases.size());
      assertThat(get(bystander, "cmd:GET g:bystander").replies()).containsExactly(bulk("kept"));
    }
  }

  @Test
  void closingTheComponentClosesItsRedisConnections() {
    RedisModule redis = connect(server);
    WasmComponent component = load(redis);
    assertThat(get(component, "cmd:PING").replies()).containsExactly(bulk("PONG"));
    assertThat(redis.connected()).isTrue();
    component.close();
    assertThat(redis.connected()).isFalse();
  }
}
