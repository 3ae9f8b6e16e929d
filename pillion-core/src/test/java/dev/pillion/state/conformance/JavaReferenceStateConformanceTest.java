package dev.pillion.state.conformance;

import dev.pillion.state.StateFeature;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.state.spi.StateComponent;
import java.util.Set;

/** The plain-Java reference store passes the same suite as the Wasm components. */
class JavaReferenceStateConformanceTest extends StateConformanceSuite {
  private static final Set<String> FEATURES =
      Set.of(StateFeature.ETAG, StateFeature.TRANSACTIONAL, StateFeature.TTL);

  @Override
  protected Set<String> expectedFeatures() {
    return FEATURES;
  }

  @Override
  protected StateComponent createComponent() {
    return JavaInMemoryStateComponent.create(STORE);
  }
}
