package dev.pillion.server;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * Which components are blocking, and the bounded executor their calls run on. A component that
 * waits on the network (a Redis-backed store, say) would stall every connection sharing the Netty
 * event loop or gRPC transport thread that calls it; its calls run on this executor instead, and
 * the thread that received the request goes on serving others. A call the executor cannot take
 * (every thread busy, the queue full) is refused with 429 / RESOURCE_EXHAUSTED naming the
 * component, so a slow backend cannot make requests pile up without bound. Immutable.
 *
 * <pre>{@code
 * PillionServer.builder()
 *     .runtime(runtime)
 *     .blockingCalls(BlockingCalls.builder().components(name -> name.startsWith("redis-")).build())
 * }</pre>
 */
public final class BlockingCalls {
  /** The default number of threads: enough for a few dozen calls waiting on the network at once. */
  public static final int DEFAULT_THREADS = 32;

  /** The default number of calls that may wait for a thread. */
  public static final int DEFAULT_QUEUE_CAPACITY = 1024;

  private static final BlockingCalls NONE =
      new BlockingCalls(component -> false, DEFAULT_THREADS, DEFAULT_QUEUE_CAPACITY);

  private final Predicate<String> components;
  private final int threads;
  private final int queueCapacity;

  private BlockingCalls(Predicate<String> components, int threads, int queueCapacity) {
    this.components = components;
    this.threads = threads;
    this.queueCapacity = queueCapacity;
  }

  /**
   * No component is blocking: every call runs on the thread that received the request.
   *
   * @return the setting
   */
  public static BlockingCalls none() {
    return NONE;
  }

  /**
   * A builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether calls into a component run on the executor.
   *
   * @param component the component's name
   * @return true when it is blocking
   */
  public boolean isBlocking(String component) {
    return components.test(component);
  }

  /**
   * Whether any component may be blocking (the server starts no executor otherwise).
   *
   * @return false for {@link #none()}
   */
  public boolean any() {
    return this != NONE;
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
    private Predicate<String> components;
    private int threads = DEFAULT_THREADS;
    private int queueCapacity = DEFAULT_QUEUE_CAPACITY;

    private Builder() {}

    /**
     * Which components are blocking (required).
     *
     * @param blocking true for the name of a blocking component
     * @return this builder
     */
    public Builder components(Predicate<String> blocking) {
      this.components = Objects.requireNonNull(blocking, "blocking");
      return this;
    }

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
     * @throws NullPointerException when no predicate was given
     */
    public BlockingCalls build() {
      return new BlockingCalls(
          Objects.requireNonNull(
              components, "which components are blocking (BlockingCalls.Builder.components)"),
          threads,
          queueCapacity);
    }
  }
}
