package dev.pillion.wasm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The functions a guest may import: WASI preview 1 (with only what the component was granted) and
 * Pillion's own {@code env} functions. Anything else is refused when the component loads.
 */
final class HostImports {
  static final String WASI_MODULE = "wasi_snapshot_preview1";
  static final String ENV_MODULE = "env";
  static final String LOG_V1 = "pillion_v1_log";
  private static final int MAX_LOG_BYTES = 64 * 1024;

  /** Every WASI function name Chicory implements, read once from a throwaway instance. */
  static final Set<String> WASI_FUNCTIONS = wasiFunctionNames();

  /** The {@code env} functions. */
  static final Set<String> ENV_FUNCTIONS = Set.of(LOG_V1);

  private HostImports() {}

  static List<ImportFunction> envFunctions(System.Logger logger) {
    List<ImportFunction> functions = new ArrayList<>();
    functions.add(
        new HostFunction(
            ENV_MODULE,
            LOG_V1,
            FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of()),
            (Instance instance, long... args) -> {
              int level = (int) args[0];
              int ptr = (int) args[1];
              int len = Math.min((int) args[2], MAX_LOG_BYTES);
              String message =
                  new String(instance.memory().readBytes(ptr, len), StandardCharsets.UTF_8);
              logger.log(level(level), message);
              return null;
            }));
    return functions;
  }

  static System.Logger.Level level(int level) {
    switch (level) {
      case 0:
        return System.Logger.Level.TRACE;
      case 1:
        return System.Logger.Level.DEBUG;
      case 2:
        return System.Logger.Level.INFO;
      case 3:
        return System.Logger.Level.WARNING;
      default:
        return System.Logger.Level.ERROR;
    }
  }

  static String allowedDescription() {
    return WASI_MODULE
        + ".* and "
        + new TreeSet<>(ENV_FUNCTIONS).stream().map(f -> ENV_MODULE + "." + f).toList();
  }

  private static Set<String> wasiFunctionNames() {
    try (WasiPreview1 wasi = WasiPreview1.builder().build()) {
      Set<String> names = new TreeSet<>();
      for (HostFunction function : wasi.toHostFunctions()) {
        names.add(function.name());
      }
      return Set.copyOf(names);
    }
  }
}
