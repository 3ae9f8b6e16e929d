/**
 * Redis for Pillion: the {@code redis} host capability ({@link dev.pillion.redis.RedisModule}, a
 * Lettuce client owned by the host) and the component types {@code state.redis} and {@code
 * pubsub.redis}, which pillion-core finds through {@link dev.pillion.block.ComponentTypeProvider}.
 */
// Lettuce has no module descriptor, only an Automatic-Module-Name.
@SuppressWarnings("requires-automatic")
module dev.pillion.redis {
  requires transitive dev.pillion.core;
  requires lettuce.core;
  requires io.netty.common;
  requires io.netty.handler;
  requires io.netty.transport;

  exports dev.pillion.redis;

  opens dev.pillion.redis.wasm;

  provides dev.pillion.block.ComponentTypeProvider with
      dev.pillion.redis.RedisComponentTypes;
}
