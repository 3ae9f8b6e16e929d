package dev.pillion.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.function.Function;

/**
 * A module compiled to JVM bytecode at build time (Chicory's compiler Maven plugin): the parsed module and the
 * machine factory of its generated class. Bundled components implement this, so loading them compiles nothing.
 */
public interface PrecompiledModule {
  /**
   * A name for messages, e.g. {@code state-in-memory}.
   *
   * @return the module's name
   */
  String moduleName();

  /**
   * The parsed module.
   *
   * @return the module
   */
  WasmModule module();

  /**
   * The generated machine for an instance of the module.
   *
   * @return the machine factory
   */
  Function<Instance, Machine> machineFactory();
}
