package dev.pillion.wasm;

import dev.pillion.abi.AbiVersion;
import java.time.Duration;
import java.util.Optional;

/**
 * A loaded, validated component: calls are routed to a free instance (see {@link InstanceModel})
 * under the component's limits. Thread-safe. Create with {@link WasmHost#load(ComponentSpec)}.
 */
public final class WasmComponent implements ComponentCaller, AutoCloseable {
  private final ComponentSpec spec;
  private final InstancePool pool;
  private final AbiVersion version;
  private final java.util.Set<String> methods;
  private final Duration loadTime;
  private volatile Optional<java.util.concurrent.Future<?>> idleSweep = Optional.empty();

  WasmComponent(
      ComponentSpec spec,
      InstancePool pool,
      AbiVersion version,
      java.util.Set<String> methods,
      Duration loadTime) {
    this.spec = spec;
    this.pool = pool;
    this.version = version;
    this.methods = java.util.Set.copyOf(methods);
    this.loadTime = loadTime;
  }

  /**
   * The component's name.
   *
   * @return the name from its spec
   */
  public String name() {
    return spec.name();
  }

  /**
   * The spec it was loaded from.
   *
   * @return the spec
   */
  public ComponentSpec spec() {
    return spec;
  }

  /**
   * The ABI version the module reported.
   *
   * @return the version
   */
  public AbiVersion abiVersion() {
    return version;
  }

  /**
   * Whether the module exports a method (required methods always are).
   *
   * @param method the method in snake_case, e.g. {@code bulk_get}
   * @return true if exported
   */
  public boolean hasMethod(String method) {
    return methods.contains(method);
  }

  /**
   * Whether calls may wait on I/O, because a granted capability does ({@link
   * ComponentSpec#isBlocking()}).
   *
   * @return true when the component is blocking
   */
  public boolean isBlocking() {
    return spec.isBlocking();
  }

  /**
   * How long loading took: reading, parsing, compiling (when not precompiled), the first instance
   * and its initializer.
   *
   * @return the load time
   */
  public Duration loadTime() {
    return loadTime;
  }

  /**
   * How many instances exist right now.
   *
   * @return the number of live instances
   */
  public int liveInstances() {
    return pool.liveInstances();
  }

  /**
   * How many instances were discarded after a trap, timeout or host fault since the component was
   * loaded.
   *
   * @return the number of discarded instances
   */
  public int discardedInstances() {
    return pool.discardedInstances();
  }

  @Override
  public byte[] call(String method, byte[] request) {
    GuestInstance instance = pool.acquire(method);
    try {
      return instance.call(method, request);
    } finally {
      pool.release(instance);
    }
  }

  /**
   * Runs a function with exclusive use of one instance, for callers that need several calls on the
   * same memory (such as reading a guest's memory size in tests).
   *
   * @param action what to do with the instance
   * @param <T> the result type
   * @return the action's result
   */
  <T> T withInstance(java.util.function.Function<GuestInstance, T> action) {
    GuestInstance instance = pool.acquire("withInstance");
    try {
      return action.apply(instance);
    } finally {
      pool.release(instance);
    }
  }

  /** Waits for calls in flight, releases every instance, then closes the granted capabilities. */
  @Override
  public void close() {
    idleSweep.ifPresent(sweep -> sweep.cancel(false));
    pool.close();
    for (HostModule module : spec.grants()) {
      try {
        module.close();
      } catch (RuntimeException e) {
        System.getLogger(WasmComponent.class.getName())
            .log(
                System.Logger.Level.WARNING,
                "closing capability " + module.capability() + " of " + spec.name() + " failed",
                e);
      }
    }
  }

  /** Closes instances idle for longer than the spec's idle timeout; run by the host's sweeper. */
  void evictIdle() {
    pool.evictIdle(spec.limits().idleTimeout().toNanos());
  }

  void idleSweep(java.util.concurrent.Future<?> sweep) {
    this.idleSweep = Optional.of(sweep);
  }

  @Override
  public String toString() {
    return "WasmComponent{"
        + spec.name()
        + ", "
        + spec.source().describe()
        + ", abi "
        + version.number()
        + '}';
  }
}
