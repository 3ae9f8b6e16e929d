package dev.pillion.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A parsed module whose imports were checked, with its machine factory and memory limits:
 * everything needed to create instances, shared by all instances of one component.
 */
record PreparedModule(
    WasmModule module, Function<Instance, Machine> machineFactory, MemoryLimits memoryLimits) {

  /**
   * Refuses, naming the first one, imports that are not functions of the WASI sandbox or of a
   * granted capability, or whose type differs from the host function's.
   */
  static void checkImports(String component, WasmModule module, List<HostModule> grants) {
    Map<String, HostModule> byModule = new LinkedHashMap<>();
    byModule.put(WasiSandbox.IMPORT_MODULE, WasiSandbox.INSTANCE);
    grants.forEach(grant -> byModule.put(grant.importModule(), grant));
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
      HostModule granted = byModule.get(imported.module());
      FunctionType provided = granted == null ? null : granted.functions().get(imported.name());
      if (provided == null) {
        throw new ComponentLoadException(
            component,
            "imports function '"
                + qualified
                + "', which no capability granted to it provides (granted: "
                + describe(byModule.values())
                + ")",
            null);
      }
      FunctionType wanted = module.typeSection().getType(((FunctionImport) imported).typeIndex());
      if (!wanted.typesMatch(provided)) {
        throw new ComponentLoadException(
            component,
            "imports function '"
                + qualified
                + "' as "
                + wanted.params()
                + " -> "
                + wanted.returns()
                + ", but the host's has type "
                + provided.params()
                + " -> "
                + provided.returns(),
            null);
      }
    }
  }

  private static String describe(Collection<HostModule> modules) {
    return modules.stream()
        .map(m -> m.capability() + " (" + m.importModule() + ".*)")
        .collect(Collectors.joining(", "));
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
