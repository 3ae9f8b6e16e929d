package dev.pillion.redis.conformance;

import dev.pillion.redis.RedisComponentFactory;
import dev.pillion.redis.RedisComponentModules;
import dev.pillion.redis.RedisComponentTypes;
import dev.pillion.state.StateBuildingBlock;
import dev.pillion.state.StateFeature;
import dev.pillion.state.conformance.StateConformanceSuite;
import dev.pillion.state.spi.StateComponent;
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

  private static StateComponent load(Map<String, String> metadata) {
    return redis.create(
        RedisComponentFactory.of(
            StateBuildingBlock.create(),
            RedisComponentTypes.STATE,
            RedisComponentModules::stateRedis,
            RedisComponentModules::stateRedisWasm),
        STORE,
        RedisComponentTypes.STATE,
        metadata);
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
