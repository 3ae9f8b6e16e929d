package dev.pillion.redis;

import dev.pillion.redis.generated.PubSubRedisModule;
import dev.pillion.redis.generated.StateRedisModule;
import dev.pillion.wasm.ModuleSource;

/**
 * The Wasm modules of the Redis component types, built from Rust sources in {@code components/} by
 * {@code components/build.sh}, committed as {@code .wasm}, and compiled to JVM bytecode when this
 * module is built. They ship here, beside the {@code redis} capability they need, so that an
 * application without Redis does not carry them.
 */
public final class RedisComponentModules {
  /** The name of the Redis state component's module ({@code state.redis}). */
  public static final String STATE_REDIS = "state-redis";

  /** The name of the Redis Streams pub/sub component's module ({@code pubsub.redis}). */
  public static final String PUBSUB_REDIS = "pubsub-redis";

  private static final String STATE_REDIS_RESOURCE = "dev/pillion/redis/wasm/state-redis.wasm";
  private static final String PUBSUB_REDIS_RESOURCE = "dev/pillion/redis/wasm/pubsub-redis.wasm";

  private RedisComponentModules() {}

  /**
   * The Redis state component ({@code state.redis}: daprd's data layout, etags, TTL, all-or-nothing
   * transactions), compiled at build time. It needs the {@code redis} capability and nothing else.
   *
   * @return the module source
   */
  public static ModuleSource stateRedis() {
    return ModuleSource.precompiled(STATE_REDIS, new StateRedisModule());
  }

  /**
   * The Redis state component's raw {@code .wasm}, for the interpreter or to measure load-time
   * compilation.
   *
   * @return the module source
   */
  public static ModuleSource stateRedisWasm() {
    return ModuleSource.classpath(
        STATE_REDIS_RESOURCE, RedisComponentModules.class.getClassLoader());
  }

  /**
   * The Redis Streams pub/sub component ({@code pubsub.redis}: daprd's stream layout, consumer
   * groups, redelivery after {@code processingTimeout}), compiled at build time. It needs the
   * {@code redis} capability and nothing else.
   *
   * @return the module source
   */
  public static ModuleSource pubsubRedis() {
    return ModuleSource.precompiled(PUBSUB_REDIS, new PubSubRedisModule());
  }

  /**
   * The Redis Streams pub/sub component's raw {@code .wasm}.
   *
   * @return the module source
   */
  public static ModuleSource pubsubRedisWasm() {
    return ModuleSource.classpath(
        PUBSUB_REDIS_RESOURCE, RedisComponentModules.class.getClassLoader());
  }
}
