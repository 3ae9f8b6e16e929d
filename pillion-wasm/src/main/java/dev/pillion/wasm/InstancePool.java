package dev.pillion.wasm;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * At most {@code size} instances, each used by one caller at a time. A single-instance component is
 * a pool of one whose instance is created at load and kept. Broken instances (trap, timeout, host
 * fault) are closed, not returned, and a new one is created on demand.
 *
 * <p>Instances live in slots, and a thread goes back to the slot it used last when that one is
 * free: two threads calling one component each keep their own instance, so an instance's linear
 * memory stays in one core's cache instead of moving between cores on every call, and threads do
 * not meet on a shared free list. A semaphore bounds the callers to the number of slots, so a
 * caller holding a permit always finds a free slot.
 */
final class InstancePool implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(InstancePool.class.getName());
  private static final int FREE = 0;
  private static final int TAKEN = 1;

  private final String component;
  private final int size;
  private final long waitNanos;
  private final Semaphore permits;
  private final AtomicReferenceArray<GuestInstance> slots;
  private final AtomicIntegerArray taken;
  private final ThreadLocal<int[]> lastSlot = ThreadLocal.withInitial(() -> new int[] {0});
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
    this.slots = new AtomicReferenceArray<>(size);
    this.taken = new AtomicIntegerArray(size);
    this.factory = factory;
  }

  /** Adds a ready instance (the one created at load to validate the module) in the first slot. */
  void seed(GuestInstance instance) {
    instance.poolSlot = 0;
    slots.set(0, instance);
    live.incrementAndGet();
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
                + " ms (raise wasm.poolSize or wasm.poolWait)");
      }
    }
    int slot = claimSlot();
    if (slot < 0) {
      permits.release();
      throw new ComponentCallException(component, method, "the component is closed", null);
    }
    GuestInstance instance = slots.get(slot);
    if (instance != null) {
      return instance;
    }
    try {
      instance = factory.get();
    } catch (RuntimeException | Error e) {
      taken.set(slot, FREE);
      permits.release();
      throw e;
    }
    instance.poolSlot = slot;
    slots.set(slot, instance);
    live.incrementAndGet();
    return instance;
  }

  /**
   * Takes a free slot: the caller's last one if free, else the first free one. A permit guarantees
   * one exists unless the pool is closing (then -1).
   */
  private int claimSlot() {
    int[] last = lastSlot.get();
    if (taken.compareAndSet(last[0], FREE, TAKEN)) {
      return last[0];
    }
    while (!closed) {
      for (int i = 0; i < size; i++) {
        if (taken.compareAndSet(i, FREE, TAKEN)) {
          last[0] = i;
          return i;
        }
      }
      // close() holds slots it emptied; any other holder gives its slot back shortly.
      Thread.onSpinWait();
    }
    return -1;
  }

  void release(GuestInstance instance) {
    int slot = instance.poolSlot;
    instance.lastUsedNanos = System.nanoTime();
    if (instance.broken() || closed) {
      slots.set(slot, null);
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
    }
    taken.set(slot, FREE);
    permits.release();
  }

  /**
   * Closes the free instances unused for longer than {@code idleNanos}; busy ones and the slots of
   * calls in flight are left alone. The next call to an emptied slot makes a new instance.
   *
   * @param idleNanos how long an instance may have been unused
   * @return how many were closed
   */
  int evictIdle(long idleNanos) {
    int evicted = 0;
    long now = System.nanoTime();
    for (int i = 0; i < size && !closed; i++) {
      GuestInstance instance = slots.get(i);
      if (instance == null || now - instance.lastUsedNanos < idleNanos) {
        continue;
      }
      if (!taken.compareAndSet(i, FREE, TAKEN)) {
        continue;
      }
      try {
        instance = slots.get(i);
        if (instance != null && now - instance.lastUsedNanos >= idleNanos) {
          slots.set(i, null);
          live.decrementAndGet();
          instance.close();
          evicted++;
        }
      } finally {
        taken.set(i, FREE);
      }
    }
    return evicted;
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
    for (int i = 0; i < size; i++) {
      // A slot still taken belongs to a call in flight, whose release closes its instance.
      if (taken.compareAndSet(i, FREE, TAKEN)) {
        GuestInstance instance = slots.getAndSet(i, null);
        if (instance != null) {
          instance.close();
          live.decrementAndGet();
        }
      }
    }
    if (quiet) {
      permits.release(size);
    }
  }
}
