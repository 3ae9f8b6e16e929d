package dev.pillion.redis;

import dev.pillion.block.ComponentTypeProvider;
import dev.pillion.block.ComponentTypeRegistrar;
import dev.pillion.pubsub.PubSubBuildingBlock;
import dev.pillion.state.StateBuildingBlock;

/**
 * The component types of this module, found by pillion-core through {@link
 * java.util.ServiceLoader}: {@code state.redis} and {@code pubsub.redis}, the bundled Rust
 * components (daprd's data layout and semantics), each granted the {@code redis} capability over
 * the server its metadata names.
 */
public final class RedisComponentTypes implements ComponentTypeProvider {
  /** Dapr's Redis state store. */
  public static final String STATE = "state.redis";

  /** Dapr's Redis Streams pub/sub. */
  public static final String PUBSUB = "pubsub.redis";

  /** Creates the provider (ServiceLoader does). */
  public RedisComponentTypes() {}

  @Override
  public void register(ComponentTypeRegistrar registrar) {
    StateBuildingBlock state = StateBuildingBlock.create();
    registrar.componentType(
        state,
        STATE,
        RedisComponentFactory.of(
            state,
            STATE,
            RedisComponentModules::stateRedis,
            RedisComponentModules::stateRedisWasm));
    PubSubBuildingBlock pubsub = PubSubBuildingBlock.create();
    registrar.componentType(
        pubsub,
        PUBSUB,
        RedisComponentFactory.of(
            pubsub,
            PUBSUB,
            RedisComponentModules::pubsubRedis,
            RedisComponentModules::pubsubRedisWasm));
  }
}
