package dev.pillion.redis.conformance;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pillion.block.RuntimeContext;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.PubSubBuildingBlock;
import dev.pillion.pubsub.conformance.PubSubConformanceSuite;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.redis.RedisComponentFactory;
import dev.pillion.redis.RedisComponentModules;
import dev.pillion.redis.RedisComponentTypes;
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
 * {@code pubsub.redis} (the bundled Rust component over the redis capability) passes the pub/sub
 * conformance suite, unchanged, against a real redis-server, compiled and interpreted. Every
 * scenario starts from an empty database.
 */
class RedisPubSubConformanceTest {
  /** What {@code pubsub.redis} declares (components/pubsub-redis). */
  private static final Set<String> FEATURES = Set.of("BULK_PUBLISH");

  /** The component's name, as the suite names it. */
  private static final String STORE = "pubsub";

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

  private static PubSubComponent load(Map<String, String> metadata) {
    adminConnection.sync().flushall();
    return RedisComponentFactory.of(
            PubSubBuildingBlock.create(),
            RedisComponentTypes.PUBSUB,
            RedisComponentModules::pubsubRedis,
            RedisComponentModules::pubsubRedisWasm)
        .create(
            ComponentDefinition.builder(STORE, RedisComponentTypes.PUBSUB)
                .metadata("redisHost", server.address())
                .metadata(metadata)
                .build(),
            RuntimeContext.builder(host).build());
  }

  @Nested
  class Compiled extends PubSubConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected PubSubComponent createComponent() {
      return load(Map.of());
    }
  }

  @Nested
  class Interpreted extends PubSubConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected PubSubComponent createComponent() {
      return load(Map.of("wasm.engine", "interpreter"));
    }
  }
}
