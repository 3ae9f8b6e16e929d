package dev.pillion.components;

import dev.pillion.state.spi.StateComponent;
import dev.pillion.wasm.WasmHost;

/** Creates the state component for one definition of a given {@code spec.type}. */
@FunctionalInterface
public interface StateComponentFactory {
  /**
   * Creates and initializes the component.
   *
   * @param definition the component's definition
   * @param host the Wasm host to load modules with
   * @return the ready component
   * @throws ComponentConfigException when the definition's metadata is invalid
   */
  StateComponent create(ComponentDefinition definition, WasmHost host);
}
