package dev.pillion.pubsub;

import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.block.ComponentTypes;
import dev.pillion.block.RuntimeContext;
import dev.pillion.block.WasmBuildingBlock;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.WasmSettings;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.wasm.ComponentSpec;
import java.util.Collection;

/**
 * The pub/sub building block: components {@code pubsub.*}, opened as a {@link PubSub} publishing
 * and subscribing as the runtime's app.
 *
 * <p>Built-in types: {@code pubsub.in-memory} (the bundled Rust broker) and {@code pubsub.wasm}
 * (any pub/sub module, from metadata {@code url}).
 */
public final class PubSubBuildingBlock extends WasmBuildingBlock<PubSubComponent, PubSub> {
  /** The block's name and type prefix. */
  public static final String NAME = "pubsub";

  /** The bundled in-memory broker. */
  public static final String IN_MEMORY = "pubsub.in-memory";

  /** Any Wasm pub/sub module. */
  public static final String WASM = NAME + ".wasm";

  private static final PubSubBuildingBlock INSTANCE = new PubSubBuildingBlock();

  private PubSubBuildingBlock() {
    super(
        NAME, "pub/sub", PubSub.class, PubSubComponentContract.CONTRACT, WasmPubSubComponent::load);
  }

  /**
   * The block.
   *
   * @return the block (stateless, shared)
   */
  public static PubSubBuildingBlock create() {
    return INSTANCE;
  }

  @Override
  public ComponentTypes<PubSubComponent> builtInTypes() {
    return wasmTypes().register(IN_MEMORY, this::bundledInMemory);
  }

  @Override
  public Opener<PubSubComponent, PubSub> prepare(RuntimeContext context) {
    return (name, component, metadata) -> DefaultPubSub.create(name, component, context.appId());
  }

  @Override
  public void close(PubSub api) {
    ((DefaultPubSub) api).close();
  }

  @Override
  public void release(PubSub api) {
    ((DefaultPubSub) api).stopSubscriptions();
  }

  @Override
  public RuntimeException notFound(String name, Collection<String> loaded) {
    return new PubSubNotFoundException(name, loaded);
  }

  private PubSubComponent bundledInMemory(ComponentDefinition definition, RuntimeContext context) {
    // The queues live in the host (the keyvalue capability, ordered so a pull can scan a queue), so
    // instances hold no messages, leases or subscriptions.
    ComponentSpec.Builder spec =
        bundledSpec(
            definition,
            IN_MEMORY,
            BundledComponents::pubsubInMemory,
            BundledComponents::pubsubInMemoryWasm);
    return load(
        context,
        dataInHost(spec, definition, true).build(),
        WasmSettings.guestProperties(definition));
  }
}
