package dev.pillion.components;

import dev.pillion.bundled.BundledComponents;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.state.wasm.WasmStateComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The state component types a runtime knows: the built-ins and any registered programmatically.
 *
 * <ul>
 *   <li>{@code state.in-memory}: the bundled Rust in-memory component (what a Dapr user's existing
 *       YAML names);
 *   <li>{@code state.wasm}: any state component module, from metadata {@code url}.
 * </ul>
 */
public final class StateComponentTypes {
  /** The bundled in-memory store. */
  public static final String IN_MEMORY = "state.in-memory";

  /** Any Wasm state module. */
  public static final String WASM = "state.wasm";

  private final Map<String, StateComponentFactory> factories = new TreeMap<>();

  private StateComponentTypes() {}

  /**
   * The built-in types.
   *
   * @return a new, mutable registry holding the built-ins
   */
  public static StateComponentTypes builtIn() {
    StateComponentTypes types = new StateComponentTypes();
    types.register(IN_MEMORY, StateComponentTypes::bundledInMemory);
    types.register(WASM, StateComponentTypes::wasmFromUrl);
    return types;
  }

  /**
   * Registers (or replaces) a type.
   *
   * @param type the {@code spec.type}, e.g. {@code state.my-store}
   * @param factory creates components of the type
   */
  public void register(String type, StateComponentFactory factory) {
    factories.put(type, factory);
  }

  /**
   * The factory of a type.
   *
   * @param type the {@code spec.type}
   * @return the factory, or empty if unknown
   */
  public Optional<StateComponentFactory> factory(String type) {
    return Optional.ofNullable(factories.get(type));
  }

  /**
   * The known type names.
   *
   * @return the names, sorted
   */
  public java.util.Set<String> types() {
    return java.util.Collections.unmodifiableSet(factories.keySet());
  }

  private static StateComponent bundledInMemory(ComponentDefinition definition, WasmHost host) {
    if (definition.metadata().containsKey(WasmSettings.URL)) {
      throw new ComponentConfigException(
          definition
              + ": metadata 'url' is not used by "
              + IN_MEMORY
              + " (use type "
              + WASM
              + " to load a module)");
    }
    // The build-time compiled class carries a stripped module without code; the interpreter needs
    // the real one.
    boolean interpreted =
        "interpreter"
            .equalsIgnoreCase(definition.metadata().getOrDefault("wasm.engine", "").trim());
    // The items live in the host (the keyvalue capability), so instances hold no data: they are
    // pooled, and any of them can be discarded after a fault without losing an item.
    ComponentSpec.Builder spec =
        WasmSettings.spec(
                definition,
                interpreted
                    ? BundledComponents.stateInMemoryWasm()
                    : BundledComponents.stateInMemory())
            .contract(dev.pillion.abi.StateStoreContract.CONTRACT)
            .grant(KeyValueModule.create(WasmSettings.keyValueStore(definition, false)));
    if (!definition.metadata().containsKey("wasm.instances")) {
      spec.instanceModel(InstanceModel.POOLED);
    }
    return WasmStateComponent.load(host, spec.build(), WasmSettings.guestProperties(definition));
  }

  private static StateComponent wasmFromUrl(ComponentDefinition definition, WasmHost host) {
    return WasmStateComponent.load(
        host,
        WasmSettings.spec(definition, WasmSettings.moduleFromUrl(definition))
            .contract(dev.pillion.abi.StateStoreContract.CONTRACT)
            .build(),
        WasmSettings.guestProperties(definition));
  }
}
