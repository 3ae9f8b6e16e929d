package dev.pillion.wasm;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Interrupts guest calls that run past their deadline. One daemon thread per {@link WasmHost} scans
 * the running calls every few milliseconds, so a call costs two volatile writes and a CAS instead
 * of scheduling a timer task.
 */
final class Watchdog implements AutoCloseable {
  private static final long TICK_MILLIS = 5;
  private static final System.Logger LOG = System.getLogger(Watchdog.class.getName());

  private final Set<CallSlot> slots = ConcurrentHashMap.newKeySet();
  private final Thread thread;
  private volatile boolean running = true;

  Watchdog() {
    thread = new Thread(this::run, "pillion-wasm-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  CallSlot newSlot() {
    CallSlot slot = new CallSlot();
    slots.add(slot);
    return slot;
  }

  void release(CallSlot slot) {
    slots.remove(slot);
  }

  /** Slots whose call has not ended: zero whenever no guest call is in flight. */
  int activeSlots() {
    int active = 0;
    for (CallSlot slot : slots) {
      if (slot.state.get() != CallSlot.IDLE) {
        active++;
      }
    }
    return active;
  }

  private void run() {
    while (running) {
      try {
        Thread.sleep(TICK_MILLIS);
      } catch (InterruptedException e) {
        if (!running) {
          return;
        }
      }
      long now = System.nanoTime();
      for (CallSlot slot : slots) {
        slot.interruptIfExpired(now);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.log(System.Logger.Level.DEBUG, "interrupted while stopping the watchdog");
    }
  }

  /** The deadline of the call running on one instance. */
  static final class CallSlot {
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int INTERRUPTING = 2;
    private static final int TIMED_OUT = 3;

    private final AtomicInteger state = new AtomicInteger(IDLE);
    private volatile Thread caller;
    private volatile long deadlineNanos;

    void begin(long timeoutNanos) {
      caller = Thread.currentThread();
      deadlineNanos = System.nanoTime() + timeoutNanos;
      state.set(RUNNING);
    }

    /**
     * Ends the call.
     *
     * @return true if the watchdog interrupted it (the interrupt flag is cleared again)
     */
    boolean end() {
      if (state.compareAndSet(RUNNING, IDLE)) {
        return false;
      }
      while (state.get() == INTERRUPTING) {
        Thread.onSpinWait();
      }
      // The interrupt was ours, not the application's: do not leak it into the caller's thread.
      Thread.interrupted();
      state.set(IDLE);
      return true;
    }

    void interruptIfExpired(long now) {
      if (state.get() == RUNNING
          && now - deadlineNanos > 0
          && state.compareAndSet(RUNNING, INTERRUPTING)) {
        caller.interrupt();
        state.set(TIMED_OUT);
      }
    }
  }
}
