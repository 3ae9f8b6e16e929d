package dev.pillion.wasm;

/**
 * Rate-limits what one component writes to the host's logs (its stdout, stderr and log calls, from
 * all its instances together), so a chatty or hostile guest cannot fill disks or slow other
 * components down. A token bucket of bytes: {@code bytesPerSecond} refill, up to {@code burstBytes}
 * at once. Output over the budget is dropped and counted; the count is reported at WARNING under
 * the component's logger at once, then at most once per second while output keeps being dropped.
 */
public final class OutputBudget {
  private static final long REPORT_INTERVAL_NANOS = 1_000_000_000L;

  private final String component;
  private final System.Logger logger;
  private final long bytesPerSecond;
  private final long burstBytes;
  private long available;
  private long refilledAt;
  private long droppedBytes;
  private long droppedTotal;
  private long lastReport;

  private OutputBudget(String component, System.Logger logger, long bytesPerSecond, long burst) {
    this.component = component;
    this.logger = logger;
    this.bytesPerSecond = bytesPerSecond;
    this.burstBytes = burst;
    this.available = burst;
    this.refilledAt = System.nanoTime();
    this.lastReport = refilledAt - REPORT_INTERVAL_NANOS;
  }

  /**
   * A budget for one component.
   *
   * @param component the component's name
   * @param logger where the drop reports go
   * @param bytesPerSecond sustained output rate
   * @param burstBytes output allowed at once
   * @return the budget
   */
  public static OutputBudget create(
      String component, System.Logger logger, long bytesPerSecond, long burstBytes) {
    if (bytesPerSecond < 1 || burstBytes < 1) {
      throw new IllegalArgumentException("output budget must be positive");
    }
    return new OutputBudget(component, logger, bytesPerSecond, burstBytes);
  }

  /**
   * Takes {@code bytes} from the budget.
   *
   * @param bytes the size of the output
   * @return true if it may be written, false if it must be dropped (it is then counted)
   */
  public boolean tryAcquire(long bytes) {
    boolean allowed;
    String report;
    synchronized (this) {
      long now = refill();
      allowed = bytes <= available;
      if (allowed) {
        available -= bytes;
      } else {
        droppedBytes += bytes;
        droppedTotal += bytes;
      }
      report = report(now);
    }
    log(report);
    return allowed;
  }

  /**
   * Whether any output would be accepted now. Writers check this before copying or decoding output,
   * so a guest writing into an exhausted budget costs the host nothing per byte.
   *
   * @return false if the budget is exhausted
   */
  public synchronized boolean hasCapacity() {
    refill();
    return available > 0;
  }

  /**
   * Counts output dropped without asking (the rest of a write the budget refused).
   *
   * @param bytes the dropped size
   */
  public void drop(long bytes) {
    if (bytes <= 0) {
      return;
    }
    String report;
    synchronized (this) {
      droppedBytes += bytes;
      droppedTotal += bytes;
      report = report(System.nanoTime());
    }
    log(report);
  }

  private long refill() {
    long now = System.nanoTime();
    if (available >= burstBytes) {
      // Full: time spent full earns nothing.
      refilledAt = now;
      return now;
    }
    long elapsed = now - refilledAt;
    if (elapsed > 0) {
      // In double, so a long idle time cannot overflow; never more than the rate allows (a full
      // burst after a one-second pause would multiply the rate by burst / rate).
      long refill = (long) Math.min(burstBytes, elapsed * (double) bytesPerSecond / 1e9);
      if (refill > 0) {
        available = Math.min(burstBytes, available + refill);
        refilledAt = now;
      }
    }
    return now;
  }

  /** The drop report due now, if any: at most one per interval, the first at once. */
  private String report(long now) {
    if (droppedBytes == 0 || now - lastReport < REPORT_INTERVAL_NANOS) {
      return null;
    }
    long dropped = droppedBytes;
    droppedBytes = 0;
    lastReport = now;
    return "component '"
        + component
        + "' exceeded its output budget of "
        + bytesPerSecond
        + " bytes/s: dropped "
        + dropped
        + " bytes of its output";
  }

  private void log(String report) {
    if (report != null) {
      logger.log(System.Logger.Level.WARNING, report);
    }
  }

  /**
   * All output dropped so far, in bytes.
   *
   * @return the dropped byte count
   */
  public synchronized long droppedBytes() {
    return droppedTotal;
  }
}
