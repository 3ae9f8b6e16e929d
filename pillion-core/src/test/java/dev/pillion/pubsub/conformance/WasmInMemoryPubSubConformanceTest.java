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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/**
 * The bundled Rust in-memory broker passes the pub/sub conformance suite on both engines: compiled
 * at build time, and interpreted from its {@code .wasm}.
 */
class WasmInMemoryPubSubConformanceTest {
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
    protected PubSubComponent createComponent() {
      return load(BundledComponents.pubsubInMemory(), Engine.COMPILED);
    }
  }

  @Nested
  class Interpreted extends PubSubConformanceSuite {
    @Override
    protected PubSubComponent createComponent() {
      return load(BundledComponents.pubsubInMemoryWasm(), Engine.INTERPRETER);
    }
  }
}
