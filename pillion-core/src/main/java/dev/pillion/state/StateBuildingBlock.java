package dev.pillion.state;

import dev.pillion.abi.StateStoreContract;
import dev.pillion.block.ComponentTypes;
import dev.pillion.block.RuntimeContext;
import dev.pillion.block.WasmBuildingBlock;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.WasmSettings;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.state.wasm.WasmStateComponent;
import dev.pillion.wasm.ComponentSpec;
import java.util.Collection;

/**
 * The state building block: components {@code state.*}, opened as a {@link StateStore} with the key
 * prefix their {@code keyPrefix} metadata names.
 *
 * <p>Built-in types:
 *
 * <ul>
 *   <li>{@code state.in-memory}: the bundled Rust in-memory component (what a Dapr user's existing
 *       YAML names);
 *   <li>{@code state.wasm}: any state component module, from metadata {@code url}.
 * </ul>
 */
public final class StateBuildingBlock extends WasmBuildingBlock<StateComponent, StateStore> {
  /** The block's name and type prefix. */
  public static final String NAME = "state";

  /** The bundled in-memory store. */
  public static final String IN_MEMORY = "state.in-memory";

  /** Any Wasm state module. */
  public static final String WASM = NAME + ".wasm";

  private static final StateBuildingBlock INSTANCE = new StateBuildingBlock();

  private StateBuildingBlock() {
    super(
        NAME,
        "state store",
        StateStore.class,
        StateStoreContract.CONTRACT,
        WasmStateComponent::load);
  }

  /**
   * The block.
   *
   * @return the block (stateless, shared)
   */
  public static StateBuildingBlock create() {
    return INSTANCE;
  }

  @Override
  public ComponentTypes<StateComponent> builtInTypes() {
    return wasmTypes().register(IN_MEMORY, this::bundledInMemory);
  }

  @Override
  public Opener<StateComponent, StateStore> prepare(RuntimeContext context) {
    return (name, component, metadata) ->
        DefaultStateStore.create(
            name,
            component,
            KeyPrefix.of(
                metadata.getOrDefault("keyPrefix", ""),
                name,
                context.appId(),
                context.namespace()));
  }

  @Override
  public void close(StateStore api) {
    ((DefaultStateStore) api).component().close();
  }

  @Override
  public RuntimeException notFound(String name, Collection<String> loaded) {
    return new StateStoreNotFoundException(name, loaded);
  }

  private StateComponent bundledInMemory(ComponentDefinition definition, RuntimeContext context) {
    // The items live in the host (the keyvalue capability), so instances hold no data.
    ComponentSpec.Builder spec =
        bundledSpec(
            definition,
            IN_MEMORY,
            BundledComponents::stateInMemory,
            BundledComponents::stateInMemoryWasm);
    return load(
        context,
        dataInHost(spec, definition, false).build(),
        WasmSettings.guestProperties(definition));
  }
}
