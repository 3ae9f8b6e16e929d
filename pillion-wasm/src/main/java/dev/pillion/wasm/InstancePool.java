package dev.pillion.wasm;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * At most {@code size} instances, each used by one caller at a time. A single-instance component is
 * a pool of one whose instance is created at load and kept. Broken instances (trap, timeout) are
 * closed, not returned, and a new one is created on demand.
 */
final class InstancePool implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(InstancePool.class.getName());

  private final String component;
  private final int size;
  private final long waitNanos;
  private final Semaphore permits;
  private final ConcurrentLinkedDeque<GuestInstance> idle = new ConcurrentLinkedDeque<>();
  private final Supplier<GuestInstance> factory;
  private final AtomicInteger live = new AtomicInteger();
  private final AtomicInteger discarded = new AtomicInteger();
  private final long closeWaitNanos;
  private volatile boolean closed;

  /**
   * A pool.
   *
   * @param closeWaitNanos how long {@link #close()} waits for calls in flight; every guest call
   *     runs under a deadline, so the call timeout plus a margin is enough
   */
  InstancePool(
      String component,
      int size,
      long waitNanos,
      long closeWaitNanos,
      Supplier<GuestInstance> factory) {
    this.component = component;
    this.size = size;
    this.waitNanos = waitNanos;
    this.closeWaitNanos = closeWaitNanos;
    this.permits = new Semaphore(size);
    this.factory = factory;
  }

  /** Adds a ready instance (the one created at load to validate the module). */
  void seed(GuestInstance instance) {
    live.incrementAndGet();
    idle.push(instance);
  }

  GuestInstance acquire(String method) {
    if (closed) {
      throw new ComponentCallException(component, method, "the component is closed", null);
    }
    boolean acquired = permits.tryAcquire();
    if (!acquired) {
      try {
        acquired = permits.tryAcquire(waitNanos, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ComponentCallException(
            component, method, "interrupted while waiting for an instance", e);
      }
      if (!acquired) {
        throw new ComponentTimeoutException(
            component,
            method,
            "all "
                + size
                + " instances stayed busy for "
                + TimeUnit.NANOSECONDS.toMillis(waitNanos)
                + " ms (raise wasm.poolSize or wasm.poolWaitMillis)");
      }
    }
    GuestInstance instance = idle.poll();
    if (instance != null) {
      return instance;
    }
    try {
      instance = factory.get();
      live.incrementAndGet();
      return instance;
    } catch (RuntimeException e) {
      permits.release();
      throw e;
    }
  }

  void release(GuestInstance instance) {
    if (instance.broken() || closed) {
      live.decrementAndGet();
      if (instance.broken()) {
        discarded.incrementAndGet();
        // Instances hold no data a component may lose (docs/decisions.md), but a discard means
        // the guest failed: say so, and why.
        LOG.log(
            System.Logger.Level.WARNING,
            () ->
                "component '"
                    + component
                    + "': discarded an instance ("
                    + instance.brokenReason()
                    + "); a new one serves the next call");
      }
      instance.close();
    } else {
      idle.push(instance);
    }
    permits.release();
  }

  int liveInstances() {
    return live.get();
  }

  int discardedInstances() {
    return discarded.get();
  }

  /**
   * Closes the idle instances after waiting, for a bounded time, for calls in flight to hand theirs
   * back; an instance still busy after that is closed when its call ends. Never blocks longer than
   * the close wait, whatever the guests do.
   */
  @Override
  public void close() {
    closed = true;
    boolean quiet;
    try {
      quiet = permits.tryAcquire(size, closeWaitNanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      quiet = false;
    }
    if (!quiet) {
      LOG.log(
          System.Logger.Level.WARNING,
          () ->
              "component '"
                  + component
                  + "': calls still running after "
                  + TimeUnit.NANOSECONDS.toMillis(closeWaitNanos)
                  + " ms; closing without waiting for them");
    }
    GuestInstance instance;
    while ((instance = idle.poll()) != null) {
      instance.close();
      live.decrementAndGet();
    }
    if (quiet) {
      permits.release(size);
    }
  }
}
