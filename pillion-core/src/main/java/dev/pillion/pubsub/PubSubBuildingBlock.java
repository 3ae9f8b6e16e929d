package dev.pillion.pubsub;

import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.block.BuildingBlock;
import dev.pillion.block.ComponentTypes;
import dev.pillion.block.RuntimeContext;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.WasmSettings;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.capability.KeyValueModule;
import java.util.Collection;
import java.util.Set;

/**
 * The pub/sub building block: components {@code pubsub.*}, opened as a {@link PubSub} publishing
 * and subscribing as the runtime's app.
 *
 * <p>Built-in types: {@code pubsub.in-memory} (the bundled Rust broker) and {@code pubsub.wasm}
 * (any pub/sub module, from metadata {@code url}).
 */
public final class PubSubBuildingBlock implements BuildingBlock<PubSubComponent, PubSub> {
  /** The block's name and type prefix. */
  public static final String NAME = "pubsub";

  /** The bundled in-memory broker. */
  public static final String IN_MEMORY = "pubsub.in-memory";

  /** Any Wasm pub/sub module. */
  public static final String WASM = "pubsub.wasm";

  private static final PubSubBuildingBlock INSTANCE = new PubSubBuildingBlock();

  private PubSubBuildingBlock() {}

  /**
   * The block.
   *
   * @return the block (stateless, shared)
   */
  public static PubSubBuildingBlock create() {
    return INSTANCE;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String componentNoun() {
    return "pub/sub";
  }

  @Override
  public Class<PubSub> apiType() {
    return PubSub.class;
  }

  @Override
  public ComponentTypes<PubSubComponent> builtInTypes() {
    return ComponentTypes.<PubSubComponent>create(NAME)
        .register(IN_MEMORY, PubSubBuildingBlock::bundledInMemory)
        .register(WASM, PubSubBuildingBlock::wasmFromUrl);
  }

  @Override
  public Opener<PubSubComponent, PubSub> prepare(RuntimeContext context) {
    return (name, component, metadata) -> DefaultPubSub.create(name, component, context.appId());
  }

  @Override
  public Set<String> features(PubSubComponent component) {
    return component.features();
  }

  @Override
  public void close(PubSub api) {
    ((DefaultPubSub) api).close();
  }

  @Override
  public RuntimeException notFound(String name, Collection<String> loaded) {
    return new PubSubNotFoundException(name, loaded);
  }

  private static PubSubComponent bundledInMemory(
      ComponentDefinition definition, RuntimeContext context) {
    if (definition.metadata().containsKey(WasmSettings.URL)) {
      throw new ComponentConfigException(
          definition + ": metadata 'url' is not used by " + IN_MEMORY + " (use type " + WASM + ")");
    }
    // The queues live in the host (the keyvalue capability, ordered so a pull can scan a queue), so
    // instances hold no messages: they are pooled, and any of them can be discarded after a fault
    // without losing a message, a lease or a subscription.
    ComponentSpec.Builder spec =
        WasmSettings.spec(
                definition,
                WasmSettings.interpreted(definition)
                    ? BundledComponents.pubsubInMemoryWasm()
                    : BundledComponents.pubsubInMemory())
            .contract(PubSubComponentContract.CONTRACT)
            .grant(KeyValueModule.create(WasmSettings.keyValueStore(definition, true)));
    if (!definition.metadata().containsKey(WasmSettings.INSTANCES)) {
      spec.instanceModel(InstanceModel.POOLED);
    }
    return WasmPubSubComponent.load(
        context.host(), spec.build(), WasmSettings.guestProperties(definition));
  }

  private static PubSubComponent wasmFromUrl(
      ComponentDefinition definition, RuntimeContext context) {
    return WasmPubSubComponent.load(
        context.host(),
        WasmSettings.spec(definition, WasmSettings.moduleFromUrl(definition))
            .contract(PubSubComponentContract.CONTRACT)
            .build(),
        WasmSettings.guestProperties(definition));
  }
}
