package dev.pillion.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.function.Function;

/**
 * A parsed module whose imports were checked, with its machine factory and memory limits:
 * everything needed to create instances, shared by all instances of one component.
 */
record PreparedModule(
    WasmModule module, Function<Instance, Machine> machineFactory, MemoryLimits memoryLimits) {

  /** Refuses imports the host does not grant, naming the first one. */
  static void checkImports(String component, WasmModule module) {
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      Import imported = imports.getImport(i);
      String qualified = imported.module() + "." + imported.name();
      if (imported.importType() != ExternalType.FUNCTION) {
        throw new ComponentLoadException(
            component,
            "imports "
                + imported.importType()
                + " '"
                + qualified
                + "', but the host only provides functions",
            null);
      }
      boolean granted =
          (HostImports.WASI_MODULE.equals(imported.module())
                  && HostImports.WASI_FUNCTIONS.contains(imported.name()))
              || (HostImports.ENV_MODULE.equals(imported.module())
                  && HostImports.ENV_FUNCTIONS.contains(imported.name()));
      if (!granted) {
        throw new ComponentLoadException(
            component,
            "imports function '"
                + qualified
                + "', which the host does not provide (allowed: "
                + HostImports.allowedDescription()
                + ")",
            null);
      }
    }
  }

  /** The module's own memory limits, capped at {@code maxPages}. */
  static MemoryLimits cappedMemory(String component, WasmModule module, int maxPages) {
    var section = module.memorySection();
    if (section.isEmpty() || section.get().memoryCount() == 0) {
      throw new ComponentLoadException(
          component, "defines no memory; the ABI needs an exported memory", null);
    }
    MemoryLimits declared = section.get().getMemory(0).limits();
    if (declared.initialPages() > maxPages) {
      throw new ComponentLoadException(
          component,
          "needs "
              + declared.initialPages()
              + " initial memory pages, more than its limit of "
              + maxPages
              + " (raise the component's wasm.maxMemoryPages)",
          null);
    }
    return new MemoryLimits(declared.initialPages(), Math.min(declared.maximumPages(), maxPages));
  }
}
