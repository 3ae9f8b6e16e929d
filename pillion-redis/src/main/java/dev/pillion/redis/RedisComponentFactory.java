package dev.pillion.redis;

import dev.pillion.block.BlockComponent;
import dev.pillion.block.ComponentFactory;
import dev.pillion.block.WasmBuildingBlock;
import dev.pillion.config.WasmSettings;
import dev.pillion.wasm.ComponentLimits;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.ModuleSource;
import java.util.function.Supplier;

/**
 * Factories of component types whose module keeps its data in Redis ({@code state.redis}, {@code
 * pubsub.redis}, or an application's own): each component gets its own connection, granted as the
 * {@code redis} capability.
 */
public final class RedisComponentFactory {
  /**
   * The instances of a pooled Redis component unless {@code wasm.poolSize} says otherwise: an
   * instance spends its calls waiting on the network, so the pool, not the CPU, caps how many round
   * trips are in flight; as many as the server's executor for blocking calls runs at once.
   * Instances are created on demand.
   */
  public static final int DEFAULT_POOL_SIZE = 32;

  private static final String POOL_SIZE = "wasm.poolSize";
  private static final String CALL_TIMEOUT = "wasm.callTimeout";

  private RedisComponentFactory() {}

  /**
   * A factory that connects to the server the definition's metadata names (failing the load, with
   * the component's name, when it cannot), grants the module that connection as the {@code redis}
   * capability, pools its instances unless {@code wasm.instances} says otherwise (the data lives in
   * Redis, so an instance holds none; {@value #DEFAULT_POOL_SIZE} of them unless {@code
   * wasm.poolSize} says otherwise), and passes the guest every property but the connection's
   * ({@link RedisSettings#guestProperties}). The connection closes with the component.
   *
   * @param <C> the block's component type
   * @param block the block
   * @param type the type, named in errors
   * @param compiled the module compiled to bytecode
   * @param interpreted the module as Wasm, for the interpreter ({@code wasm.engine: interpreted})
   * @return the factory
   */
  public static <C extends BlockComponent> ComponentFactory<C> of(
      WasmBuildingBlock<C, ?> block,
      String type,
      Supplier<ModuleSource> compiled,
      Supplier<ModuleSource> interpreted) {
    return (definition, context) -> {
      ComponentSpec.Builder spec = block.bundledSpec(definition, type, compiled, interpreted);
      RedisSettings settings = RedisSettings.from(definition);
      if (!definition.metadata().containsKey(WasmSettings.INSTANCES)) {
        spec.instanceModel(InstanceModel.POOLED);
      }
      RedisModule redis = RedisModule.connect(settings);
      try {
        ComponentSpec built = spec.grant(redis).build();
        ComponentLimits.Builder limits = built.limits().toBuilder();
        if (!definition.metadata().containsKey(POOL_SIZE)) {
          limits.poolSize(DEFAULT_POOL_SIZE);
        }
        if (!definition.metadata().containsKey(CALL_TIMEOUT)) {
          // A Redis call must reach its own deadline (status 2, a clear error, the instance kept)
          // before the guest call's timeout discards the instance: the call gets a second more.
          limits.callTimeout(settings.readTimeout().plusSeconds(1));
        }
        built = built.toBuilder().limits(limits.build()).build();
        return block.load(context, built, RedisSettings.guestProperties(definition));
      } catch (RuntimeException e) {
        redis.close();
        throw e;
      }
    };
  }
}
