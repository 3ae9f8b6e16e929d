package dev.pillion.wasm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * WASI preview 1, granted to every component as a sandbox: no arguments, no environment, an empty
 * stdin, stdout and stderr as log lines within the component's output budget, the clock and random,
 * and only the directories the spec preopens.
 */
final class WasiSandbox implements HostModule {
  static final String CAPABILITY = "wasi";
  static final String IMPORT_MODULE = "wasi_snapshot_preview1";
  static final WasiSandbox INSTANCE = new WasiSandbox();

  /** Every WASI function Chicory implements, with its type, read once from a throwaway instance. */
  private static final Map<String, FunctionType> FUNCTIONS = wasiFunctions();

  private WasiSandbox() {}

  @Override
  public String capability() {
    return CAPABILITY;
  }

  @Override
  public String importModule() {
    return IMPORT_MODULE;
  }

  @Override
  public Map<String, FunctionType> functions() {
    return FUNCTIONS;
  }

  @Override
  public Binding bind(HostModuleContext context) {
    System.Logger logger = context.logger();
    WasiOptions.Builder options =
        WasiOptions.builder()
            .withStdout(
                new ComponentOutput(
                    logger, System.Logger.Level.INFO, "[stdout] ", context.output()))
            .withStderr(
                new ComponentOutput(
                    logger, System.Logger.Level.WARNING, "[stderr] ", context.output()))
            .withStdin(InputStream.nullInputStream())
            .withClock(Clock.systemUTC())
            .withRandom(new SecureRandom());
    context.spec().preopenedDirectories().forEach(options::withDirectory);
    WasiPreview1 wasi = WasiPreview1.builder().withOptions(options.build()).build();
    List<HostFunction> functions = List.of(wasi.toHostFunctions());
    return new Binding() {
      @Override
      public List<HostFunction> functions() {
        return functions;
      }

      @Override
      public void close() {
        wasi.close();
      }
    };
  }

  private static Map<String, FunctionType> wasiFunctions() {
    try (WasiPreview1 wasi = WasiPreview1.builder().build()) {
      Map<String, FunctionType> types = new TreeMap<>();
      for (HostFunction function : wasi.toHostFunctions()) {
        types.put(function.name(), function.functionType());
      }
      return Map.copyOf(types);
    }
  }
}
