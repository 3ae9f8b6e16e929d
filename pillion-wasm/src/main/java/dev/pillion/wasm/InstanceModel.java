package dev.pillion.wasm;

/**
 * How many instances of a component run. An instance owns its linear memory and is not thread-safe,
 * so a call holds one instance exclusively.
 */
public enum InstanceModel {
  /**
   * One instance, calls serialized. For components that keep their data in linear memory (the
   * in-memory store): a second instance would have a second, different copy of the data.
   */
  SINGLE,
  /**
   * A bounded pool of interchangeable instances, created on demand up to the pool size. For
   * stateless components (clients of an external backend).
   */
  POOLED
}
