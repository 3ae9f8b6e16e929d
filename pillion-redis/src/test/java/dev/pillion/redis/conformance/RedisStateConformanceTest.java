package dev.pillion.redis.conformance;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.block.RuntimeContext;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.redis.RedisComponentFactory;
import dev.pillion.redis.RedisComponentModules;
import dev.pillion.redis.RedisComponentTypes;
import dev.pillion.state.StateBuildingBlock;
import dev.pillion.state.StateFeature;
import dev.pillion.state.conformance.StateConformanceSuite;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.testing.RedisServerFixture;
import dev.pillion.wasm.WasmHost;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/**
 * {@code state.redis} (the bundled Rust component over the redis capability) passes the state
 * conformance suite, unchanged, against a real redis-server, compiled and interpreted. Every
 * scenario starts from an empty database.
 */
class RedisStateConformanceTest {
  /** What {@code state.redis} declares (components/state-redis). */
  private static final Set<String> FEATURES =
      Set.of(StateFeature.ETAG, StateFeature.TRANSACTIONAL, StateFeature.TTL);

  /** The suite's store name ({@code StateConformanceSuite.STORE}). */
  private static final String STORE = "statestore";

  private static RedisServerFixture server;
  private static WasmHost host;
  private static RedisClient admin;
  private static StatefulRedisConnection<String, String> adminConnection;

  @BeforeAll
  static void start() {
    assumeTrue(RedisServerFixture.available(), "redis-server is not installed");
    server = RedisServerFixture.start();
    host = WasmHost.create();
    admin = RedisClient.create(RedisURI.create("127.0.0.1", server.port()));
    adminConnection = admin.connect();
  }

  @AfterAll
  static void stop() {
    if (adminConnection != null) {
      adminConnection.close();
      admin.shutdown();
    }
    if (host != null) {
      host.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static StateComponent load(Map<String, String> metadata) {
    adminConnection.sync().flushall();
    return RedisComponentFactory.of(
            StateBuildingBlock.create(),
            RedisComponentTypes.STATE,
            RedisComponentModules::stateRedis,
            RedisComponentModules::stateRedisWasm)
        .create(
            ComponentDefinition.builder(STORE, RedisComponentTypes.STATE)
                .metadata("redisHost", server.address())
                .metadata(metadata)
                .build(),
            RuntimeContext.builder(host).build());
  }

  @Nested
  class Compiled extends StateConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected StateComponent createComponent() {
      return load(Map.of());
    }
  }

  @Nested
  class Interpreted extends StateConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected StateComponent createComponent() {
      return load(Map.of("wasm.engine", "interpreter"));
    }
  }
}
