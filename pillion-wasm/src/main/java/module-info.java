/**
 * The Wasm host: loading and validating components, the engines (compiled and interpreted),
 * instance pools, limits, the watchdog, the WASI sandbox and the host capabilities guests may be
 * granted. Host capabilities are declared with Chicory's types, so Chicory's runtime is part of
 * this module's API.
 */
module dev.pillion.wasm {
  requires transitive dev.pillion.abi;
  requires transitive com.dylibso.chicory.runtime;
  requires com.dylibso.chicory.wasi;
  requires com.dylibso.chicory.compiler;

  exports dev.pillion.wasm;
  exports dev.pillion.wasm.capability;
}
