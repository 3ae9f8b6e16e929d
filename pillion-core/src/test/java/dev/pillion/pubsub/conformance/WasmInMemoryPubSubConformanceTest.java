package dev.pillion.pubsub.conformance;

import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import dev.pillion.wasm.capability.KeyValueStore;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The bundled Rust in-memory broker passes the pub/sub conformance suite. */
class WasmInMemoryPubSubConformanceTest extends PubSubConformanceSuite {
  private static WasmHost host;

  @BeforeAll
  static void startHost() {
    host = WasmHost.create();
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  @Override
  protected PubSubComponent createComponent() {
    return WasmPubSubComponent.load(
        host,
        ComponentSpec.builder()
            .name("pubsub")
            .contract(PubSubComponentContract.CONTRACT)
            .source(BundledComponents.pubsubInMemory())
            // As the runtime loads it: queues in the host, instances pooled.
            .grant(KeyValueModule.create(KeyValueStore.builder("pubsub").ordered(true).build()))
            .instanceModel(InstanceModel.POOLED)
            .build(),
        Map.of());
  }
}
