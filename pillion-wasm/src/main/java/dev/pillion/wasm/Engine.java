package dev.pillion.wasm;

/** How a component's code runs. */
public enum Engine {
  /**
   * Compiled to JVM bytecode: at build time for bundled components, at load time (cached by module
   * digest) for user-supplied ones. The default.
   */
  COMPILED,
  /**
   * Chicory's interpreter. Much slower; an explicit opt-in for debugging or comparison, never the
   * default.
   */
  INTERPRETER
}
