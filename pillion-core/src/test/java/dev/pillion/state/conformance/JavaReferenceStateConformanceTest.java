package dev.pillion.state.conformance;

import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.state.spi.StateComponent;

/** The plain-Java reference store passes the same suite as the Wasm components. */
class JavaReferenceStateConformanceTest extends StateConformanceSuite {
  @Override
  protected StateComponent createComponent() {
    return JavaInMemoryStateComponent.create(STORE);
  }
}
