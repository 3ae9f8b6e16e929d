package dev.pillion.bundled;

import dev.pillion.components.generated.PubSubInMemoryModule;
import dev.pillion.components.generated.StateInMemoryModule;
import dev.pillion.wasm.ModuleSource;

/**
 * The components that ship with Pillion. Each is built from Rust sources in {@code components/} by
 * {@code components/build.sh}, committed as {@code .wasm}, and compiled to JVM bytecode when this
 * module is built.
 */
public final class BundledComponents {
  /** The name of the in-memory state component's module. */
  public static final String STATE_IN_MEMORY = "state-in-memory";

  /** The name of the in-memory pub/sub component's module. */
  public static final String PUBSUB_IN_MEMORY = "pubsub-in-memory";

  private static final String STATE_IN_MEMORY_RESOURCE =
      "dev/pillion/components/state-in-memory.wasm";
  private static final String PUBSUB_IN_MEMORY_RESOURCE =
      "dev/pillion/components/pubsub-in-memory.wasm";

  private BundledComponents() {}

  /**
   * The in-memory state component, compiled at build time: loading it compiles nothing.
   *
   * @return the module source
   */
  public static ModuleSource stateInMemory() {
    return ModuleSource.precompiled(STATE_IN_MEMORY, new StateInMemoryModule());
  }

  /**
   * The in-memory state component's raw {@code .wasm}, for the interpreter or to measure load-time
   * compilation.
   *
   * @return the module source
   */
  public static ModuleSource stateInMemoryWasm() {
    return ModuleSource.classpath(
        STATE_IN_MEMORY_RESOURCE, BundledComponents.class.getClassLoader());
  }

  /**
   * The in-memory pub/sub broker, compiled at build time.
   *
   * @return the module source
   */
  public static ModuleSource pubsubInMemory() {
    return ModuleSource.precompiled(PUBSUB_IN_MEMORY, new PubSubInMemoryModule());
  }

  /**
   * The in-memory pub/sub broker's raw {@code .wasm}.
   *
   * @return the module source
   */
  public static ModuleSource pubsubInMemoryWasm() {
    return ModuleSource.classpath(
        PUBSUB_IN_MEMORY_RESOURCE, BundledComponents.class.getClassLoader());
  }
}
