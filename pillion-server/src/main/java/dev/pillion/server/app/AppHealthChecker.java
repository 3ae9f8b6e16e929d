package dev.pillion.server.app;

import dev.pillion.AppHealth;
import java.time.Duration;
import java.util.Objects;

/**
 * Checks an app's health as daprd's {@code --enable-app-health-check} does: a probe every {@code
 * interval}, each given {@code timeout}; the app is unhealthy after {@code threshold} consecutive
 * failed probes and healthy again after one that succeeds. As in daprd, an app is unhealthy until
 * its first probe succeeds, so nothing is sent to an app that is not up yet.
 *
 * <p>The runtime's subscriptions and app channel ask {@link #healthy()} (see {@link AppHealth});
 * the probes run on one daemon thread started by {@link #start()}. Thread-safe.
 */
public final class AppHealthChecker implements AppHealth, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AppHealthChecker.class.getName());

  /** daprd's default health check path ({@code --app-health-check-path}). */
  public static final String DEFAULT_PATH = "/healthz";

  /** daprd's default probe interval ({@code --app-health-probe-interval}). */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

  /** daprd's default probe timeout ({@code --app-health-probe-timeout}). */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

  /** daprd's default failure threshold ({@code --app-health-threshold}). */
  public static final int DEFAULT_THRESHOLD = 3;

  private final AppHealthProbe probe;
  private final Duration interval;
  private final Duration timeout;
  private final int threshold;
  private final Object lock = new Object();

  /** Consecutive failed probes; starts at the threshold (unhealthy until a probe succeeds). */
  private int failures;

  private volatile boolean healthy;
  private Thread thread;
  private boolean closed;

  private AppHealthChecker(Builder builder) {
    this.probe = builder.probe;
    this.interval = builder.interval;
    this.timeout = builder.timeout;
    this.threshold = builder.threshold;
    this.failures = threshold;
  }

  /**
   * A builder of a checker using a probe (HTTP: {@link HttpAppHealthProbe}).
   *
   * @param probe how one probe of the app is made
   * @return the builder, with daprd's defaults
   */
  public static Builder builder(AppHealthProbe probe) {
    return new Builder(probe);
  }

  @Override
  public boolean healthy() {
    return healthy;
  }

  /**
   * The time between probes.
   *
   * @return the interval
   */
  public Duration interval() {
    return interval;
  }

  /**
   * How long one probe may take before it counts as failed.
   *
   * @return the timeout
   */
  public Duration timeout() {
    return timeout;
  }

  /**
   * How many consecutive failed probes make the app unhealthy.
   *
   * @return the threshold, 1 or more
   */
  public int threshold() {
    return threshold;
  }

  /**
   * Starts probing on a daemon thread, the first probe at once.
   *
   * @return this checker
   * @throws IllegalStateException when started already or closed
   */
  public AppHealthChecker start() {
    synchronized (lock) {
      if (thread != null || closed) {
        throw new IllegalStateException("the app health checker was started already");
      }
      thread = new Thread(this::run, "pillion-app-health");
      thread.setDaemon(true);
      thread.start();
    }
    return this;
  }

  private void run() {
    long intervalNanos = interval.toNanos();
    try {
      while (!Thread.currentThread().isInterrupted()) {
        long started = System.nanoTime();
        probeOnce();
        long left = intervalNanos - (System.nanoTime() - started);
        if (left > 0) {
          Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Makes one probe and records its result. A probe that throws, or overruns its timeout, failed.
   *
   * @return whether the app is healthy after it
   * @throws InterruptedException when interrupted while probing
   */
  boolean probeOnce() throws InterruptedException {
    boolean passed;
    long started = System.nanoTime();
    try {
      passed = probe.healthy(timeout);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "app health probe " + probe + " failed: " + e);
      passed = false;
    }
    if (passed && System.nanoTime() - started > timeout.toNanos()) {
      // A probe that answers after its timeout failed, whatever it answered (daprd's context).
      passed = false;
    }
    record(passed);
    return healthy;
  }

  private void record(boolean passed) {
    synchronized (lock) {
      if (passed) {
        boolean was = healthy;
        failures = 0;
        healthy = true;
        if (!was) {
          LOG.log(System.Logger.Level.INFO, "app entered healthy status (" + probe + ")");
        }
        return;
      }
      if (failures < Integer.MAX_VALUE) {
        failures++;
      }
      if (failures >= threshold && healthy) {
        healthy = false;
        LOG.log(
            System.Logger.Level.WARNING,
            "app entered unhealthy status: "
                + failures
                + " consecutive health probes failed ("
                + probe
                + ", timeout "
                + timeout.toMillis()
                + " ms); its subscriptions pause and invocations of it fail until a probe"
                + " succeeds");
      }
    }
  }

  @Override
  public void close() {
    Thread running;
    synchronized (lock) {
      closed = true;
      running = thread;
    }
    if (running != null) {
      running.interrupt();
      try {
        running.join(timeout.toMillis() + 1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Builds an {@link AppHealthChecker}; daprd's defaults unless set. */
  public static final class Builder {
    private final AppHealthProbe probe;
    private Duration interval = DEFAULT_INTERVAL;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int threshold = DEFAULT_THRESHOLD;

    private Builder(AppHealthProbe probe) {
      this.probe = Objects.requireNonNull(probe, "probe");
    }

    /**
     * Sets the time between probes ({@code --app-health-probe-interval}).
     *
     * @param interval a positive duration
     * @return this builder
     */
    public Builder interval(Duration interval) {
      this.interval = positive(interval, "app health probe interval");
      return this;
    }

    /**
     * Sets how long one probe may take ({@code --app-health-probe-timeout}).
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      this.timeout = positive(timeout, "app health probe timeout");
      return this;
    }

    /**
     * Sets how many consecutive failed probes make the app unhealthy ({@code
     * --app-health-threshold}).
     *
     * @param threshold 1 or more
     * @return this builder
     */
    public Builder threshold(int threshold) {
      if (threshold < 1) {
        throw new IllegalArgumentException(
            "app health threshold must be at least 1, got " + threshold);
      }
      this.threshold = threshold;
      return this;
    }

    /**
     * Builds the checker; {@link AppHealthChecker#start()} starts it.
     *
     * @return the checker, unhealthy until its first probe succeeds
     */
    public AppHealthChecker build() {
      return new AppHealthChecker(this);
    }

    private static Duration positive(Duration value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + value);
      }
      if (value.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            what + " must be at most " + Integer.MAX_VALUE + " ms, got " + value);
      }
      return value;
    }
  }
}
