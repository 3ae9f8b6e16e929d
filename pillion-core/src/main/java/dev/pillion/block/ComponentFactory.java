package dev.pillion.block;

import dev.pillion.config.ComponentDefinition;

/**
 * Creates the component for one definition of a given {@code spec.type}.
 *
 * @param <C> the block's component type
 */
@FunctionalInterface
public interface ComponentFactory<C> {
  /**
   * Creates and initializes the component.
   *
   * @param definition the component's definition, its metadata resolved
   * @param context the runtime it is loaded into (the Wasm host, the environment)
   * @return the ready component
   * @throws dev.pillion.config.ComponentConfigException when the definition's metadata is invalid
   */
  C create(ComponentDefinition definition, RuntimeContext context);
}
