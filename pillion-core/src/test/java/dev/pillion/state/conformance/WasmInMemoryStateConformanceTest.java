package dev.pillion.state.conformance;

import dev.pillion.abi.StateStoreContract;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.state.StateFeature;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.state.wasm.WasmStateComponent;
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
 * The bundled Rust in-memory component passes the state conformance suite on both engines: compiled
 * at build time, compiled at load time from its {@code .wasm}, and interpreted.
 */
class WasmInMemoryStateConformanceTest {
  /** What {@code state.in-memory} declares (components/state-in-memory). */
  private static final Set<String> FEATURES =
      Set.of(StateFeature.ETAG, StateFeature.TRANSACTIONAL, StateFeature.TTL);

  private static WasmHost host;

  @BeforeAll
  static void startHost() {
    host = WasmHost.create();
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  private static StateComponent load(ModuleSource source, Engine engine) {
    return WasmStateComponent.load(
        host,
        ComponentSpec.builder()
            .name(StateConformanceSuite.STORE)
            .contract(StateStoreContract.CONTRACT)
            .source(source)
            .engine(engine)
            // As the runtime loads it: items in the host, instances pooled.
            .grant(
                KeyValueModule.create(KeyValueStore.builder(StateConformanceSuite.STORE).build()))
            .instanceModel(InstanceModel.POOLED)
            .build(),
        Map.of());
  }

  @Nested
  class BuildTimeCompiled extends StateConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected StateComponent createComponent() {
      return load(BundledComponents.stateInMemory(), Engine.COMPILED);
    }
  }

  @Nested
  class LoadTimeCompiled extends StateConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected StateComponent createComponent() {
      return load(BundledComponents.stateInMemoryWasm(), Engine.COMPILED);
    }
  }

  @Nested
  class Interpreted extends StateConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected StateComponent createComponent() {
      return load(BundledComponents.stateInMemoryWasm(), Engine.INTERPRETER);
    }
  }
}
