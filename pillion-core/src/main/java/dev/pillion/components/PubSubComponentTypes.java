package dev.pillion.components;

import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The pub/sub component types a runtime knows: {@code pubsub.in-memory} (the bundled Rust broker)
 * and {@code pubsub.wasm} (any pub/sub module, from metadata {@code url}), plus any registered
 * programmatically.
 */
public final class PubSubComponentTypes {
  /** The bundled in-memory broker. */
  public static final String IN_MEMORY = "pubsub.in-memory";

  /** Any Wasm pub/sub module. */
  public static final String WASM = "pubsub.wasm";

  private final Map<String, PubSubComponentFactory> factories = new TreeMap<>();

  private PubSubComponentTypes() {}

  /**
   * The built-in types.
   *
   * @return a new, mutable registry holding the built-ins
   */
  public static PubSubComponentTypes builtIn() {
    PubSubComponentTypes types = new PubSubComponentTypes();
    types.register(IN_MEMORY, PubSubComponentTypes::bundledInMemory);
    types.register(WASM, PubSubComponentTypes::wasmFromUrl);
    return types;
  }

  /**
   * Registers (or replaces) a type.
   *
   * @param type the {@code spec.type}
   * @param factory creates components of the type
   */
  public void register(String type, PubSubComponentFactory factory) {
    factories.put(type, factory);
  }

  /**
   * The factory of a type.
   *
   * @param type the {@code spec.type}
   * @return the factory, or empty if unknown
   */
  public Optional<PubSubComponentFactory> factory(String type) {
    return Optional.ofNullable(factories.get(type));
  }

  /**
   * The known type names.
   *
   * @return the names, sorted
   */
  public Set<String> types() {
    return java.util.Collections.unmodifiableSet(factories.keySet());
  }

  private static PubSubComponent bundledInMemory(ComponentDefinition definition, WasmHost host) {
    if (definition.metadata().containsKey(WasmSettings.URL)) {
      throw new ComponentConfigException(
          definition + ": metadata 'url' is not used by " + IN_MEMORY + " (use type " + WASM + ")");
    }
    boolean interpreted =
        "interpreter"
            .equalsIgnoreCase(definition.metadata().getOrDefault("wasm.engine", "").trim());
    // The queues live in the host (the keyvalue capability, ordered so a pull can scan a queue), so
    // instances hold no messages: they are pooled, and any of them can be discarded after a fault
    // without losing a message, a lease or a subscription.
    ComponentSpec.Builder spec =
        WasmSettings.spec(
                definition,
                interpreted
                    ? BundledComponents.pubsubInMemoryWasm()
                    : BundledComponents.pubsubInMemory())
            .contract(PubSubComponentContract.CONTRACT)
            .grant(KeyValueModule.create(WasmSettings.keyValueStore(definition, true)));
    if (!definition.metadata().containsKey("wasm.instances")) {
      spec.instanceModel(InstanceModel.POOLED);
    }
    return WasmPubSubComponent.load(host, spec.build(), WasmSettings.guestProperties(definition));
  }

  private static PubSubComponent wasmFromUrl(ComponentDefinition definition, WasmHost host) {
    return WasmPubSubComponent.load(
        host,
        WasmSettings.spec(definition, WasmSettings.moduleFromUrl(definition))
            .contract(PubSubComponentContract.CONTRACT)
            .build(),
        WasmSettings.guestProperties(definition));
  }
}
