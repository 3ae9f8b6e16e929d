package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import dev.pillion.testing.RedisServerFixture;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Get and set of a 100-byte value on one redis-server (started by the benchmark): {@code
 * state.redis} through the embedded API (the Rust component in Wasm, the host's Lettuce connection)
 * against Lettuce called directly with daprd's layout (HGETALL; HSET + HINCRBY in one round trip),
 * in the same run. Sample mode reports p50 and p99; thread counts from the command line ({@code -t
 * 1}, {@code -t 16}). Skipped (fails at setup) when redis-server is not installed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RedisStateBenchmark {
  /**
   * {@code state.redis} with its default pool (32 instances), with the general default of 4,
   * Lettuce directly with the cheapest commands on daprd's layout ({@code lettuce-direct}), or
   * Lettuce sending exactly the commands the component sends ({@code lettuce-same}: get is {@code
   * HGETALL} and {@code PTTL} pipelined, set is {@code EVALSHA} of the component's own write
   * script), which leaves the component's own cost.
   */
  @Param({"state.redis", "state.redis-pool4", "lettuce-direct", "lettuce-same"})
  public String client;

  private RedisServerFixture server;
  private Pillion runtime;
  private StateStore state;
  private RedisClient lettuce;
  private StatefulRedisConnection<byte[], byte[]> connection;
  private RedisCommands<byte[], byte[]> commands;
  private RedisAsyncCommands<byte[], byte[]> async;
  private byte[] value;
  private final byte[] key = "bench||key-100b".getBytes(StandardCharsets.UTF_8);
  private final byte[] data = "data".getBytes(StandardCharsets.UTF_8);
  private final byte[] version = "version".getBytes(StandardCharsets.UTF_8);
  private String writeScript;
  private final byte[][] writeArgs = new byte[7][];

  @Setup(Level.Trial)
  public void start() throws Exception {
    server = RedisServerFixture.start();
    value = new byte[100];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) ('a' + i % 26);
    }
    if (client.startsWith("state.redis")) {
      runtime =
          Pillion.builder()
              .appId("bench")
              .component(
                  ComponentDefinition.builder("statestore", "state.redis")
                      .metadata(Map.of("redisHost", server.address()))
                      .metadata(client.endsWith("pool4") ? Map.of("wasm.poolSize", "4") : Map.of())
                      .build())
              .build();
      state = runtime.state("statestore");
      state.save("key-100b", value);
    } else {
      lettuce = RedisClient.create(RedisURI.create("127.0.0.1", server.port()));
      connection = lettuce.connect(ByteArrayCodec.INSTANCE);
      commands = connection.sync();
      async = connection.async();
      if (client.equals("lettuce-same")) {
        // The script state.redis runs (components/state-redis/src/write.lua), loaded the same way.
        Path script = Path.of("components", "state-redis", "src", "write.lua");
        if (!Files.isRegularFile(script)) {
          script = Path.of("..", "components", "state-redis", "src", "write.lua");
        }
        writeScript = commands.scriptLoad(Files.readAllBytes(script));
        // One save with no etag, no content type, the key's TTL kept: kind, condition, etag, data,
        // content type, TTL, first-write marker.
        byte[] empty = new byte[0];
        writeArgs[0] = "s".getBytes(StandardCharsets.UTF_8);
        writeArgs[1] = "a".getBytes(StandardCharsets.UTF_8);
        writeArgs[2] = empty;
        writeArgs[3] = value;
        writeArgs[4] = empty;
        writeArgs[5] = empty;
        writeArgs[6] = empty;
      }
      set();
    }
  }

  @TearDown(Level.Trial)
  public void stop() {
    if (runtime != null) {
      runtime.close();
    }
    if (connection != null) {
      connection.close();
      lettuce.shutdown();
    }
    server.close();
  }

  @Benchmark
  public Object get() {
    if (state != null) {
      Optional<StateItem> item = state.get("key-100b");
      return item;
    }
    if (writeScript != null) {
      RedisFuture<Map<byte[], byte[]>> fields = async.hgetall(key);
      RedisFuture<Long> ttl = async.pttl(key);
      try {
        return fields.get().size() + ttl.get();
      } catch (InterruptedException | ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }
    return commands.hgetall(key);
  }

  @Benchmark
  public Object set() throws Exception {
    if (state != null) {
      state.save("key-100b", value);
      return null;
    }
    if (writeScript != null) {
      return commands.evalsha(writeScript, ScriptOutputType.MULTI, new byte[][] {key}, writeArgs);
    }
    // What a daprd-layout write costs a direct client at the least: the value and a new version in
    // one round trip (no etag check, no script).
    async.hset(key, data, value);
    try {
      return async.hincrby(key, version, 1).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }
}
