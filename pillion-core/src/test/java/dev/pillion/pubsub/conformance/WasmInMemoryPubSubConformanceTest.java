package dev.pillion.pubsub.conformance;

import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.Engine;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.ModuleSource;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import dev.pillion.wasm.capability.KeyValueStore;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/**
 * The bundled Rust in-memory broker passes the pub/sub conformance suite on both engines: compiled
 * at build time, and interpreted from its {@code .wasm}.
 */
class WasmInMemoryPubSubConformanceTest {
  /** What {@code pubsub.in-memory} declares (components/pubsub-in-memory). */
  private static final Set<String> FEATURES = Set.of("BULK_PUBLISH");

  private static WasmHost host;

  @BeforeAll
  static void startHost() {
    host = WasmHost.create();
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  private static PubSubComponent load(ModuleSource source, Engine engine) {
    return WasmPubSubComponent.load(
        host,
        ComponentSpec.builder()
            .name("pubsub")
            .contract(PubSubComponentContract.CONTRACT)
            .source(source)
            .engine(engine)
            // As the runtime loads it: queues in the host, instances pooled.
            .grant(KeyValueModule.create(KeyValueStore.builder("pubsub").ordered(true).build()))
            .instanceModel(InstanceModel.POOLED)
            .build(),
        Map.of());
  }

  @Nested
  class BuildTimeCompiled extends PubSubConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected PubSubComponent createComponent() {
      return load(BundledComponents.pubsubInMemory(), Engine.COMPILED);
    }
  }

  @Nested
  class Interpreted extends PubSubConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected PubSubComponent createComponent() {
      return load(BundledComponents.pubsubInMemoryWasm(), Engine.INTERPRETER);
    }
  }
}
