package dev.pillion.redis.conformance;

import dev.pillion.pubsub.PubSubBuildingBlock;
import dev.pillion.pubsub.conformance.PubSubConformanceSuite;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.redis.RedisComponentFactory;
import dev.pillion.redis.RedisComponentModules;
import dev.pillion.redis.RedisComponentTypes;
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

  private static RedisUnderTest redis;

  @BeforeAll
  static void start() {
    redis = RedisUnderTest.start();
  }

  @AfterAll
  static void stop() {
    if (redis != null) {
      redis.close();
    }
  }

  private static PubSubComponent load(Map<String, String> metadata) {
    return redis.create(
        RedisComponentFactory.of(
            PubSubBuildingBlock.create(),
            RedisComponentTypes.PUBSUB,
            RedisComponentModules::pubsubRedis,
            RedisComponentModules::pubsubRedisWasm),
        STORE,
        RedisComponentTypes.PUBSUB,
        metadata);
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
