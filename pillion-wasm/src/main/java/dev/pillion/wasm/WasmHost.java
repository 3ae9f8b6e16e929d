package dev.pillion.wasm;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.CompiledModule;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Loads components. One host serves many components: it owns the timeout watchdog and the cache of
 * compiled modules (in memory, and on disk when a cache directory is set), so the same module bytes
 * are compiled once. Thread-safe; close it after its components.
 */
public final class WasmHost implements AutoCloseable {
  private static final byte[] WASM_MAGIC = {0, 'a', 's', 'm'};
  private static final System.Logger LOG = System.getLogger(WasmHost.class.getName());

  private final Watchdog watchdog = new Watchdog();

  /**
   * Compiled machines by module digest, with the parsed module they belong to (Chicory checks the
   * identity).
   */
  private final Map<String, Compiled> compiled = new ConcurrentHashMap<>();

  private record Compiled(WasmModule module, Function<Instance, Machine> factory) {}

  private final Optional<Path> compileCacheDirectory;

  /** Guarded by this. */
  private ScheduledExecutorService sweeper;

  private WasmHost(Builder builder) {
    this.compileCacheDirectory = Optional.ofNullable(builder.compileCacheDirectory);
  }

  /**
   * A host with no on-disk compile cache.
   *
   * @return a new host
   */
  public static WasmHost create() {
    return builder().build();
  }

  /**
   * A builder for a host.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads a component: reads and parses the module, refuses imports the host does not grant,
   * compiles it (unless precompiled or interpreted), creates the first instance, checks its exports
   * and ABI version, and runs the spec's initializer on it.
   *
   * @param spec what to load
   * @return the ready component
   * @throws ComponentLoadException naming the component and the problem
   */
  public WasmComponent load(ComponentSpec spec) {
    long start = System.nanoTime();
    PreparedModule prepared = prepare(spec);
    OutputBudget output =
        OutputBudget.create(
            spec.name(),
            System.getLogger("dev.pillion.component." + spec.name()),
            spec.limits().outputBytesPerSecond(),
            spec.limits().outputBurstBytes());
    GuestInstance first = GuestInstance.create(spec, prepared, watchdog, output);
    int size = spec.instanceModel() == InstanceModel.SINGLE ? 1 : spec.limits().poolSize();
    InstancePool pool =
        new InstancePool(
            spec.name(),
            size,
            spec.limits().poolWait().toNanos(),
            spec.limits().callTimeout().plusSeconds(1).toNanos(),
            () -> newInstance(spec, prepared, output));
    pool.seed(first);
    Set<String> methods = new HashSet<>(spec.contract().requiredMethods());
    for (String method : spec.contract().optionalMethods()) {
      if (first.hasMethod(method)) {
        methods.add(method);
      }
    }
    Duration loadTime = Duration.ofNanos(System.nanoTime() - start);
    LOG.log(
        System.Logger.Level.DEBUG,
        () ->
            "loaded component '"
                + spec.name()
                + "' from "
                + spec.source().describe()
                + " in "
                + loadTime);
    WasmComponent component = new WasmComponent(spec, pool, first.version(), methods, loadTime);
    Duration idle = spec.limits().idleTimeout();
    if (!idle.isZero()) {
      long every = Math.max(100, idle.toMillis() / 4);
      component.idleSweep(
          sweeper()
              .scheduleWithFixedDelay(component::evictIdle, every, every, TimeUnit.MILLISECONDS));
    }
    return component;
  }

  private GuestInstance newInstance(
      ComponentSpec spec, PreparedModule prepared, OutputBudget output) {
    try {
      return GuestInstance.create(spec, prepared, watchdog, output);
    } catch (ComponentLoadException e) {
      throw new ComponentCallException(spec.name(), "new instance", e.getMessage(), e);
    }
  }

  private PreparedModule prepare(ComponentSpec spec) {
    String name = spec.name();
    Optional<CompiledModule> precompiled = spec.source().precompiled();
    WasmModule module;
    Function<Instance, Machine> factory;
    if (precompiled.isPresent()) {
      module = precompiled.get().wasmModule();
      PreparedModule.checkImports(name, module, spec.grants());
      factory =
          spec.engine() == Engine.INTERPRETER
              ? InterpreterMachine::new
              : precompiled.get().machineFactory();
    } else {
      byte[] bytes = read(spec);
      WasmModule parsed = parse(name, spec.source(), bytes);
      // Before compiling: a module that asks for what it was not granted costs nothing to refuse.
      PreparedModule.checkImports(name, parsed, spec.grants());
      if (spec.engine() == Engine.INTERPRETER) {
        module = parsed;
        factory = InterpreterMachine::new;
      } else {
        Compiled entry = compile(name, parsed);
        module = entry.module();
        factory = entry.factory();
      }
    }
    return new PreparedModule(
        module, factory, PreparedModule.cappedMemory(name, module, spec.limits().maxMemoryPages()));
  }

  private static byte[] read(ComponentSpec spec) {
    try {
      return spec.source().readBytes().orElseThrow();
    } catch (IOException e) {
      throw new ComponentLoadException(
          spec.name(), "cannot read " + spec.source().describe() + ": " + e.getMessage(), e);
    }
  }

  private static WasmModule parse(String name, ModuleSource source, byte[] bytes) {
    if (bytes.length < 8 || !java.util.Arrays.equals(bytes, 0, 4, WASM_MAGIC, 0, 4)) {
      throw new ComponentLoadException(
          name,
          source.describe() + " is not a WebAssembly module (it does not start with \\0asm)",
          null);
    }
    try {
      return Parser.parse(bytes);
    } catch (ChicoryException e) {
      throw new ComponentLoadException(
          name, source.describe() + " is not a valid WebAssembly module: " + e.getMessage(), e);
    }
  }

  private Compiled compile(String name, WasmModule module) {
    String key = module.digest();
    if (key == null) {
      return new Compiled(module, compileNow(name, module));
    }
    return compiled.computeIfAbsent(key, k -> new Compiled(module, compileNow(name, module)));
  }

  private Function<Instance, Machine> compileNow(String name, WasmModule module) {
    long start = System.nanoTime();
    try {
      MachineFactoryCompiler.Builder compiler =
          MachineFactoryCompiler.builder(module).withInterpreterFallback(InterpreterFallback.WARN);
      compileCacheDirectory.ifPresent(dir -> compiler.withCache(new DirectoryCompileCache(dir)));
      Function<Instance, Machine> factory = compiler.compile();
      LOG.log(
          System.Logger.Level.DEBUG,
          () ->
              "compiled component '"
                  + name
                  + "' in "
                  + (System.nanoTime() - start) / 1_000_000
                  + " ms");
      return factory;
    } catch (ChicoryException e) {
      throw new ComponentLoadException(name, "cannot be compiled: " + e.getMessage(), e);
    }
  }

  /** How many modules this host compiled at load time. */
  int compiledModules() {
    return compiled.size();
  }

  /** Guest calls in flight (or whose slot was left running: never, by construction). */
  int activeCalls() {
    return watchdog.activeSlots();
  }

  /** The thread that closes idle instances, started with the first component that has them. */
  private synchronized ScheduledExecutorService sweeper() {
    if (sweeper == null) {
      sweeper =
          Executors.newSingleThreadScheduledExecutor(
              runnable -> {
                Thread thread = new Thread(runnable, "pillion-wasm-idle-sweeper");
                thread.setDaemon(true);
                return thread;
              });
    }
    return sweeper;
  }

  /** Stops the watchdog and the idle sweeper. Close the host's components first. */
  @Override
  public void close() {
    watchdog.close();
    synchronized (this) {
      if (sweeper != null) {
        sweeper.shutdownNow();
      }
    }
  }

  /** Builds a {@link WasmHost}. */
  public static final class Builder {
    private Path compileCacheDirectory;

    private Builder() {}

    /**
     * Keeps runtime-compiled modules in a directory, so a module is compiled once per machine.
     *
     * @param directory the cache directory (created when needed)
     * @return this builder
     */
    public Builder compileCacheDirectory(Path directory) {
      this.compileCacheDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * Builds the host.
     *
     * @return the host
     */
    public WasmHost build() {
      return new WasmHost(this);
    }
  }
}
