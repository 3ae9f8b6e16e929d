package dev.pillion.pubsub.conformance;

import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.WasmHost;
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
            .build(),
        Map.of());
  }
}
