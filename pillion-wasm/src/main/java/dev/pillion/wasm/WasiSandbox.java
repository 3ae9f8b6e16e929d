package dev.pillion.wasm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.types.FunctionType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.WeakHashMap;

/**
 * WASI preview 1, granted to every component as a sandbox: no arguments, only the environment
 * variables the spec grants (none by default, never the host's), an empty stdin, stdout and stderr
 * as log lines within the component's output budget, the clock and random, and only the directories
 * the spec preopens, confined to their real paths, read-only unless granted writable with a quota.
 * Every function checks the guest's pointers and lengths against its memory first ({@link
 * GuardedWasi}).
 */
final class WasiSandbox implements HostModule {
  static final String CAPABILITY = "wasi";
  static final String IMPORT_MODULE = "wasi_snapshot_preview1";
  static final WasiSandbox INSTANCE = new WasiSandbox();

  /**
   * The write quotas of writable preopens, per component spec (all instances of a component share
   * them) and guest path. Weak keys: a quota goes with the component that owns it.
   */
  private final Map<ComponentSpec, Map<String, WriteQuota>> quotas = new WeakHashMap<>();

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

  /** Preopened directories are local files, read as fast as memory for the sizes guests use. */
  @Override
  public boolean isBlocking() {
    return false;
  }

  @Override
  public Binding bind(HostModuleContext context) {
    System.Logger logger = context.logger();
    List<GuardedWasi.Grant> grants = grants(context);
    ComponentOutput stdout =
        new ComponentOutput(logger, System.Logger.Level.INFO, "[stdout] ", context.output());
    ComponentOutput stderr =
        new ComponentOutput(logger, System.Logger.Level.WARNING, "[stderr] ", context.output());
    WasiOptions.Builder options =
        WasiOptions.builder()
            .withStdout(stdout)
            .withStderr(stderr)
            .withStdin(InputStream.nullInputStream())
            .withClock(Clock.systemUTC())
            .withRandom(new SecureRandom());
    // Chicory gets the real roots, so the paths it keeps are the ones the guard resolved.
    grants.forEach(grant -> options.withDirectory(grant.preopen().guestPath(), grant.root()));
    Map<String, String> environment = context.spec().environment();
    environment.forEach(options::withEnvironment);
    WasiPreview1 wasi = WasiPreview1.builder().withOptions(options.build()).build();
    List<HostFunction> functions;
    try {
      functions =
          List.copyOf(new GuardedWasi(wasi, stdout, stderr, grants, environment).functions());
    } catch (RuntimeException e) {
      wasi.close();
      throw e;
    }
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

  /** The spec's preopens with their real roots, checked, and the component's shared quotas. */
  private List<GuardedWasi.Grant> grants(HostModuleContext context) {
    List<Preopen> preopens = context.spec().preopens();
    if (preopens.isEmpty()) {
      return List.of();
    }
    Map<String, WriteQuota> shared;
    synchronized (quotas) {
      shared = quotas.computeIfAbsent(context.spec(), spec -> new HashMap<>());
    }
    List<GuardedWasi.Grant> grants = new ArrayList<>();
    for (Preopen preopen : preopens) {
      Path root;
      try {
        root = preopen.hostDirectory().toRealPath();
      } catch (IOException e) {
        throw new ComponentLoadException(
            context.component(),
            "preopen "
                + preopen.guestPath()
                + ": host directory "
                + preopen.hostDirectory()
                + " cannot be opened ("
                + e
                + ")",
            e);
      }
      if (!Files.isDirectory(root)) {
        throw new ComponentLoadException(
            context.component(),
            "preopen "
                + preopen.guestPath()
                + ": "
                + preopen.hostDirectory()
                + " is not a directory",
            null);
      }
      WriteQuota quota = null;
      if (preopen.writable()) {
        synchronized (quotas) {
          quota =
              shared.computeIfAbsent(
                  preopen.guestPath(), path -> new WriteQuota(preopen.quotaBytes()));
        }
      }
      grants.add(new GuardedWasi.Grant(preopen, root, quota));
    }
    return grants;
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
