package dev.pillion.state;

import dev.pillion.abi.StateStoreContract;
import dev.pillion.block.BuildingBlock;
import dev.pillion.block.ComponentTypes;
import dev.pillion.block.RuntimeContext;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.WasmSettings;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.state.wasm.WasmStateComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.capability.KeyValueModule;
import java.util.Collection;
import java.util.Set;

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
public final class StateBuildingBlock implements BuildingBlock<StateComponent, StateStore> {
  /** The block's name and type prefix. */
  public static final String NAME = "state";

  /** The bundled in-memory store. */
  public static final String IN_MEMORY = "state.in-memory";

  /** Any Wasm state module. */
  public static final String WASM = "state.wasm";

  private static final StateBuildingBlock INSTANCE = new StateBuildingBlock();

  private StateBuildingBlock() {}

  /**
   * The block.
   *
   * @return the block (stateless, shared)
   */
  public static StateBuildingBlock create() {
    return INSTANCE;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String componentNoun() {
    return "state store";
  }

  @Override
  public Class<StateStore> apiType() {
    return StateStore.class;
  }

  @Override
  public ComponentTypes<StateComponent> builtInTypes() {
    return ComponentTypes.<StateComponent>create(NAME)
        .register(IN_MEMORY, StateBuildingBlock::bundledInMemory)
        .register(WASM, StateBuildingBlock::wasmFromUrl);
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
  public Set<String> features(StateComponent component) {
    return component.features();
  }

  @Override
  public void close(StateStore api) {
    ((DefaultStateStore) api).component().close();
  }

  @Override
  public RuntimeException notFound(String name, Collection<String> loaded) {
    return new StateStoreNotFoundException(name, loaded);
  }

  private static StateComponent bundledInMemory(
      ComponentDefinition definition, RuntimeContext context) {
    if (definition.metadata().containsKey(WasmSettings.URL)) {
      throw new ComponentConfigException(
          definition
              + ": metadata 'url' is not used by "
              + IN_MEMORY
              + " (use type "
              + WASM
              + " to load a module)");
    }
    // The items live in the host (the keyvalue capability), so instances hold no data: they are
    // pooled, and any of them can be discarded after a fault without losing an item.
    ComponentSpec.Builder spec =
        WasmSettings.spec(
                definition,
                WasmSettings.interpreted(definition)
                    ? BundledComponents.stateInMemoryWasm()
                    : BundledComponents.stateInMemory())
            .contract(StateStoreContract.CONTRACT)
            .grant(KeyValueModule.create(WasmSettings.keyValueStore(definition, false)));
    if (!definition.metadata().containsKey(WasmSettings.INSTANCES)) {
      spec.instanceModel(InstanceModel.POOLED);
    }
    return WasmStateComponent.load(
        context.host(), spec.build(), WasmSettings.guestProperties(definition));
  }

  private static StateComponent wasmFromUrl(
      ComponentDefinition definition, RuntimeContext context) {
    return WasmStateComponent.load(
        context.host(),
        WasmSettings.spec(definition, WasmSettings.moduleFromUrl(definition))
            .contract(StateStoreContract.CONTRACT)
            .build(),
        WasmSettings.guestProperties(definition));
  }
}
