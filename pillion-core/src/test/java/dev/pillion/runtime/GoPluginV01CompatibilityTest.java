package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.pillion.Pillion;
import dev.pillion.abi.AbiVersion;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.DeleteRequest;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateNotSupportedException;
import dev.pillion.state.StateStore;
import dev.pillion.state.wasm.WasmStateComponent;
import dev.pillion.testing.TestGuests;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.ModuleSource;
import dev.pillion.wasm.WasmHost;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A module with the exact shape of a go-plugin v0.1 TinyGo state module
 * (components/fixtures/goplugin-v01-state.c: a WASI command, api version 1, guest-owned responses,
 * 0 for empty) runs unmodified, passing the flow the original dapr-wasm-exp project tested.
 */
class GoPluginV01CompatibilityTest {
  private static ComponentSpec spec() {
    return ComponentSpec.builder()
        .name("goplugin")
        .contract(StateStoreContract.CONTRACT)
        .source(ModuleSource.file(TestGuests.path("goplugin-v01-state")))
        .build();
  }

  /** The original TestReadAndWrite and TestFeatures, at the component level. */
  @Test
  void theOriginalReadWriteAndFeaturesFlow() {
    try (WasmHost host = WasmHost.create();
        WasmStateComponent store = WasmStateComponent.load(host, spec(), Map.of())) {
      assertThat(store.wasm().abiVersion()).isEqualTo(AbiVersion.V1);

      store.set(
          SetRequest.newBuilder()
              .setKey("theFirstKey")
              .setData(ByteString.copyFromUtf8("value of key"))
              .setEtag("etag1")
              .setContentType("text")
              .build());
      assertThat(
              store
                  .get(GetRequest.newBuilder().setKey("theFirstKey").build())
                  .getData()
                  .toStringUtf8())
          .isEqualTo("value of key");

      store.set(
          SetRequest.newBuilder()
              .setKey("theSecondKey")
              .setData(ByteString.copyFromUtf8("1234"))
              .build());
      assertThat(
              store
                  .get(GetRequest.newBuilder().setKey("theSecondKey").build())
                  .getData()
                  .toStringUtf8())
          .isEqualTo("1234");

      store.delete(DeleteRequest.newBuilder().setKey("theFirstKey").build());
      assertThat(
              store.get(GetRequest.newBuilder().setKey("theFirstKey").build()).getData().isEmpty())
          .isTrue();

      assertThat(store.features()).containsExactly("TRANSACTIONAL");
    }
  }

  @Test
  void theSameModuleThroughDaprYamlAndTheStateApi() {
    ComponentDefinition definition =
        ComponentDefinition.builder("legacy", "state.wasm")
            .metadata("url", "file://" + TestGuests.path("goplugin-v01-state"))
            .build();
    try (Pillion runtime = Pillion.builder().appId("legacy-app").component(definition).build()) {
      StateStore store = runtime.state("legacy");
      store.save(SaveRequest.builder("k1", "v1").contentType("text/plain").build());
      StateItem item = store.get("k1").orElseThrow();
      assertThat(item.valueAsString()).isEqualTo("v1");
      assertThat(item.contentType()).contains("text/plain");
      assertThat(store.bulkGet(List.of("k1", "missing")))
          .extracting(b -> b.item().isPresent())
          .containsExactly(true, false);
      store.delete("k1");
      assertThat(store.get("k1")).isEmpty();
      // It claims TRANSACTIONAL but has no store_transact export: refused clearly, not silently
      // dropped.
      assertThatThrownBy(() -> store.transact(List.of()))
          .isInstanceOf(StateNotSupportedException.class)
          .hasMessageContaining("store_transact");
    }
  }
}
