package dev.pillion.wasm;

import java.time.Duration;
import java.util.Objects;

/**
 * Resource limits of one component. Immutable; build with {@link #builder()}.
 *
 * <p>Defaults: 1024 memory pages (64 MiB), a 5 s per-call timeout, 4 MiB per request or response
 * (like daprd's default {@code --max-body-size}), a pool of 4 instances, 5 s waiting for a free
 * instance, and 256 KiB/s of log output (bursts of 1 MiB).
 */
public final class ComponentLimits {
  /** The default limits. */
  public static final ComponentLimits DEFAULT = builder().build();

  private final int maxMemoryPages;
  private final Duration callTimeout;
  private final int maxMessageBytes;
  private final int poolSize;
  private final Duration poolWait;
  private final long outputBytesPerSecond;
  private final Duration idleTimeout;

  private ComponentLimits(Builder builder) {
    this.maxMemoryPages = builder.maxMemoryPages;
    this.callTimeout = builder.callTimeout;
    this.maxMessageBytes = builder.maxMessageBytes;
    this.poolSize = builder.poolSize;
    this.poolWait = builder.poolWait;
    this.outputBytesPerSecond = builder.outputBytesPerSecond;
    this.idleTimeout = builder.idleTimeout;
  }

  /**
   * A builder starting from the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder starting from these limits.
   *
   * @return a new builder with this object's values
   */
  public Builder toBuilder() {
    return new Builder()
        .maxMemoryPages(maxMemoryPages)
        .callTimeout(callTimeout)
        .maxMessageBytes(maxMessageBytes)
        .poolSize(poolSize)
        .poolWait(poolWait)
        .outputBytesPerSecond(outputBytesPerSecond)
        .idleTimeout(idleTimeout);
  }

  /**
   * The most 64 KiB pages the guest's memory may grow to.
   *
   * @return the page cap
   */
  public int maxMemoryPages() {
    return maxMemoryPages;
  }

  /**
   * How long one call may run before its instance is interrupted and discarded.
   *
   * @return the per-call timeout
   */
  public Duration callTimeout() {
    return callTimeout;
  }

  /**
   * The largest request or response, in bytes.
   *
   * @return the message size cap
   */
  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  /**
   * The most instances of a {@link InstanceModel#POOLED} component.
   *
   * @return the pool size
   */
  public int poolSize() {
    return poolSize;
  }

  /**
   * How long a call waits for a free instance before failing.
   *
   * @return the wait
   */
  public Duration poolWait() {
    return poolWait;
  }

  /**
   * How many bytes per second the component may write to the logs (stdout, stderr and log calls of
   * all its instances together); bursts of up to four seconds' worth, at least 1 MiB, pass at once.
   * Output beyond it is dropped and reported.
   *
   * @return the sustained output rate
   */
  public long outputBytesPerSecond() {
    return outputBytesPerSecond;
  }

  /**
   * The burst the output budget allows.
   *
   * @return bytes that may be written at once
   */
  public long outputBurstBytes() {
    return Math.max(1 << 20, outputBytesPerSecond * 4);
  }

  /**
   * How long an instance may sit unused before the pool closes it (the next call makes a new one);
   * zero keeps instances for the component's life.
   *
   * @return the idle timeout, zero for none
   */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  @Override
  public String toString() {
    return "ComponentLimits{maxMemoryPages="
        + maxMemoryPages
        + ", callTimeout="
        + callTimeout
        + ", maxMessageBytes="
        + maxMessageBytes
        + ", poolSize="
        + poolSize
        + ", poolWait="
        + poolWait
        + ", outputBytesPerSecond="
        + outputBytesPerSecond
        + ", idleTimeout="
        + idleTimeout
        + '}';
  }

  /** Builds {@link ComponentLimits}. */
  public static final class Builder {
    private int maxMemoryPages = 1024;
    private Duration callTimeout = Duration.ofSeconds(5);
    private int maxMessageBytes = 4 * 1024 * 1024;
    private int poolSize = 4;
    private Duration poolWait = Duration.ofSeconds(5);
    private long outputBytesPerSecond = 256 * 1024;
    private Duration idleTimeout = Duration.ZERO;

    private Builder() {}

    /**
     * Sets the memory cap.
     *
     * @param pages 1 to 65536 pages of 64 KiB
     * @return this builder
     */
    public Builder maxMemoryPages(int pages) {
      if (pages < 1 || pages > 65536) {
        throw new IllegalArgumentException("maxMemoryPages must be 1..65536, got " + pages);
      }
      this.maxMemoryPages = pages;
      return this;
    }

    /**
     * Sets the per-call timeout.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder callTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "callTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("callTimeout must be positive, got " + timeout);
      }
      this.callTimeout = timeout;
      return this;
    }

    /**
     * Sets the message size cap.
     *
     * @param bytes a positive number of bytes, at most 2 GiB - 1
     * @return this builder
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxMessageBytes must be positive, got " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * Sets the pool size of a pooled component.
     *
     * @param size 1 or more
     * @return this builder
     */
    public Builder poolSize(int size) {
      if (size < 1) {
        throw new IllegalArgumentException("poolSize must be at least 1, got " + size);
      }
      this.poolSize = size;
      return this;
    }

    /**
     * Sets how long a call waits for a free instance.
     *
     * @param wait zero or more
     * @return this builder
     */
    public Builder poolWait(Duration wait) {
      Objects.requireNonNull(wait, "poolWait");
      if (wait.isNegative()) {
        throw new IllegalArgumentException("poolWait must not be negative, got " + wait);
      }
      this.poolWait = wait;
      return this;
    }

    /**
     * Sets the output rate limit.
     *
     * @param bytesPerSecond a positive rate
     * @return this builder
     */
    public Builder outputBytesPerSecond(long bytesPerSecond) {
      if (bytesPerSecond < 1) {
        throw new IllegalArgumentException(
            "outputBytesPerSecond must be positive, got " + bytesPerSecond);
      }
      this.outputBytesPerSecond = bytesPerSecond;
      return this;
    }

    /**
     * Closes instances unused for this long, so an idle component holds no guest memory (a hosted
     * app nobody calls); the next call pays for a new instance. Zero (the default) keeps them.
     *
     * @param timeout zero or positive
     * @return this builder
     */
    public Builder idleTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("idleTimeout must not be negative, got " + timeout);
      }
      this.idleTimeout = timeout;
      return this;
    }

    /**
     * Builds the limits.
     *
     * @return immutable limits
     */
    public ComponentLimits build() {
      return new ComponentLimits(this);
    }
  }
}
