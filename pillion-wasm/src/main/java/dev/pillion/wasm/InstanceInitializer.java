package dev.pillion.wasm;

/**
 * Prepares a new instance before it serves calls, e.g. by calling its contract's {@code init} with
 * the component's metadata. It runs for the first instance at load, for every instance a pool adds,
 * and for the replacement of an instance discarded after a trap or timeout.
 */
@FunctionalInterface
public interface InstanceInitializer {
  /**
   * Initializes one instance.
   *
   * @param instance calls go to the new instance only
   */
  void initialize(ComponentCaller instance);
}
