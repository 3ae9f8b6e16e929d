package dev.pillion.wasm;

/**
 * Rate-limits what one component writes to the host's logs (its stdout, stderr and log calls, from
 * all its instances together), so a chatty or hostile guest cannot fill disks or slow other
 * components down. A token bucket of bytes: {@code bytesPerSecond} refill, up to {@code burstBytes}
 * at once. Output over the budget is dropped and counted; the count is reported at WARNING at most
 * once per reporting interval, when output is allowed again.
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
   * @return true if it may be written, false if it must be dropped
   */
  public synchronized boolean tryAcquire(long bytes) {
    long now = System.nanoTime();
    long elapsed = now - refilledAt;
    if (elapsed > 0) {
      long refill =
          elapsed >= 1_000_000_000L
              ? burstBytes
              : Math.min(burstBytes, elapsed * bytesPerSecond / 1_000_000_000L);
      if (refill > 0) {
        available = Math.min(burstBytes, available + refill);
        refilledAt = now;
      }
    }
    if (bytes <= available) {
      available -= bytes;
      reportDrops(now);
      return true;
    }
    droppedBytes += bytes;
    droppedTotal += bytes;
    return false;
  }

  private void reportDrops(long now) {
    if (droppedBytes > 0 && now - lastReport >= REPORT_INTERVAL_NANOS) {
      long dropped = droppedBytes;
      droppedBytes = 0;
      lastReport = now;
      logger.log(
          System.Logger.Level.WARNING,
          () ->
              "component '"
                  + component
                  + "' exceeded its output budget of "
                  + bytesPerSecond
                  + " bytes/s: dropped "
                  + dropped
                  + " bytes of its output");
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
