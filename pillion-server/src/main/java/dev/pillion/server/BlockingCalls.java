package dev.pillion.server;

/**
 * The bounded executor that calls into blocking components run on. Which components are blocking is
 * not a server setting: the runtime reports it ({@link
 * dev.pillion.Pillion.LoadedComponent#blocking()}), true for a component granted a host capability
 * that waits on the network (a Redis client, say). Such a component would stall every connection
 * sharing the Netty event loop or gRPC transport thread that calls it; its calls run on this
 * executor instead, and the thread that received the request goes on serving others. A call the
 * executor cannot take (every thread busy, the queue full) is refused with 429 / RESOURCE_EXHAUSTED
 * naming the component, so a slow backend cannot make requests pile up without bound. A server
 * whose runtime has no blocking component starts no executor. Immutable.
 *
 * <pre>{@code
 * PillionServer.builder()
 *     .runtime(runtime)
 *     .blockingCalls(BlockingCalls.builder().threads(64).build())
 * }</pre>
 */
public final class BlockingCalls {
  /** The default number of threads: enough for a few dozen calls waiting on the network at once. */
  public static final int DEFAULT_THREADS = 32;

  /** The default number of calls that may wait for a thread. */
  public static final int DEFAULT_QUEUE_CAPACITY = 1024;

  private static final BlockingCalls DEFAULTS =
      new BlockingCalls(DEFAULT_THREADS, DEFAULT_QUEUE_CAPACITY);

  private final int threads;
  private final int queueCapacity;

  private BlockingCalls(int threads, int queueCapacity) {
    this.threads = threads;
    this.queueCapacity = queueCapacity;
  }

  /**
   * {@value #DEFAULT_THREADS} threads and a queue of {@value #DEFAULT_QUEUE_CAPACITY} calls.
   *
   * @return the default setting
   */
  public static BlockingCalls defaults() {
    return DEFAULTS;
  }

  /**
   * A builder, starting from the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The executor's threads.
   *
   * @return the number of threads
   */
  public int threads() {
    return threads;
  }

  /**
   * How many calls may wait for a thread before calls are refused.
   *
   * @return the queue's capacity
   */
  public int queueCapacity() {
    return queueCapacity;
  }

  /** Builds a {@link BlockingCalls}. */
  public static final class Builder {
    private int threads = DEFAULT_THREADS;
    private int queueCapacity = DEFAULT_QUEUE_CAPACITY;

    private Builder() {}

    /**
     * The executor's threads ({@value #DEFAULT_THREADS} by default). They are created as calls need
     * them and end after a minute without work.
     *
     * @param threads at least 1
     * @return this builder
     */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("blocking calls need at least 1 thread, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * How many calls may wait for a thread ({@value #DEFAULT_QUEUE_CAPACITY} by default); 0 means a
     * call is refused unless a thread is free.
     *
     * @param capacity at least 0
     * @return this builder
     */
    public Builder queueCapacity(int capacity) {
      if (capacity < 0) {
        throw new IllegalArgumentException(
            "the queue of blocking calls cannot have a negative capacity, got " + capacity);
      }
      this.queueCapacity = capacity;
      return this;
    }

    /**
     * Builds the setting.
     *
     * @return the setting
     */
    public BlockingCalls build() {
      return new BlockingCalls(threads, queueCapacity);
    }
  }
}
