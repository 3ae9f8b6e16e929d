package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.state.memory.JavaInMemoryStateComponent;

/** The stores the benchmarks compare, each behind the same building block and embedded runtime. */
final class StateStores {
  static final String STORE = "statestore";

  private StateStores() {}

  /**
   * Starts a runtime with one store.
   *
   * @param kind {@code wasm-compiled} (bundled, build-time compiled), {@code wasm-runtime-compiled}
   *     (the same module compiled at load), {@code wasm-interpreter}, or {@code java-reference}
   * @return the runtime
   */
  static Pillion runtime(String kind) {
    Pillion.Builder builder = Pillion.builder().appId("bench");
    return switch (kind) {
      case "wasm-compiled" ->
          builder.component(ComponentDefinition.builder(STORE, "state.in-memory").build()).build();
      case "wasm-interpreter" ->
          builder
              .component(
                  ComponentDefinition.builder(STORE, "state.in-memory")
                      .metadata("wasm.engine", "interpreter")
                      .build())
              .build();
      case "java-reference" ->
          builder.stateStore(STORE, JavaInMemoryStateComponent.create(STORE)).build();
      default -> throw new IllegalArgumentException("unknown store kind " + kind);
    };
  }
}
