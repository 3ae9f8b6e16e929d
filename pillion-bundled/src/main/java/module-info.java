/**
 * The bundled components: the Wasm guests of {@code components/} compiled to JVM bytecode at build
 * time, with their raw modules for the interpreter.
 */
module dev.pillion.bundled {
  requires transitive dev.pillion.wasm;

  exports dev.pillion.bundled;

  // The generated classes are reached through BundledComponents only. The raw .wasm files are read
  // through this module's class loader by pillion-wasm (ModuleSource.classpath), by tests and by
  // benchmarks, so their package is open.
  opens dev.pillion.bundled.wasm;
}
