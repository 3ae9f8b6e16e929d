package dev.pillion.components;

import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.wasm.WasmHost;

/** Creates the pub/sub component for one definition of a given {@code spec.type}. */
@FunctionalInterface
public interface PubSubComponentFactory {
  /**
   * Creates and initializes the component.
   *
   * @param definition the component's definition
   * @param host the Wasm host to load modules with
   * @return the ready component
   */
  PubSubComponent create(ComponentDefinition definition, WasmHost host);
}
