package dev.pillion.server;

import dev.pillion.Pillion;
import dev.pillion.server.spi.ComponentCalls;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The executor that one face's calls into a runtime's blocking components run on, sized by {@link
 * BlockingCalls}, and the {@link ComponentCalls} that route them there. Every face that serves a
 * {@link DaprApi} over a thread it must not block (the server's Netty event loops and gRPC
 * transport threads, the embedded SDK's loopback listener and in-process transport) creates one and
 * closes it when it stops. A runtime without blocking components gets {@link
 * ComponentCalls#inline()} and no executor.
 *
 * <pre>{@code
 * BlockingCallsExecutor blocking = BlockingCallsExecutor.create(runtime, BlockingCalls.defaults());
 * DaprApi api = DaprApi.builder().runtime(runtime).calls(blocking.calls()).build();
 * // ... serve api; when stopped:
 * blocking.close(Duration.ofSeconds(5));
 * }</pre>
 */
public final class BlockingCallsExecutor implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(BlockingCallsExecutor.class.getName());

  private final ComponentCalls calls;
  private final Optional<ThreadPoolExecutor> executor;

  private BlockingCallsExecutor(ComponentCalls calls, Optional<ThreadPoolExecutor> executor) {
    this.calls = calls;
    this.executor = executor;
  }

  /**
   * Calls into the components the runtime reports blocking ({@link
   * Pillion.LoadedComponent#blocking()}) go to a bounded executor of daemon threads named {@code
   * pillion-blocking-<n>}, created as calls arrive; the set is fixed, as a runtime's components do
   * not change once it is built. A call the executor cannot take is refused naming what is full.
   *
   * @param runtime the runtime whose components are called
   * @param setting the executor's threads and queue
   * @return the executor; close it when the face that uses it has stopped
   */
  public static BlockingCallsExecutor create(Pillion runtime, BlockingCalls setting) {
    Objects.requireNonNull(setting, "setting");
    Set<String> blocking =
        Objects.requireNonNull(runtime, "runtime").components().stream()
            .filter(Pillion.LoadedComponent::blocking)
            .map(Pillion.LoadedComponent::name)
            .collect(Collectors.toUnmodifiableSet());
    if (blocking.isEmpty()) {
      return new BlockingCallsExecutor(ComponentCalls.inline(), Optional.empty());
    }
    LOG.log(
        System.Logger.Level.INFO,
        "calls into blocking components "
            + String.join(", ", new TreeSet<>(blocking))
            + " run on an executor of "
            + setting.threads()
            + " threads");
    int threads = setting.threads();
    int capacity = setting.queueCapacity();
    BlockingQueue<Runnable> queue =
        capacity == 0 ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(capacity);
    AtomicInteger created = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            1,
            TimeUnit.MINUTES,
            queue,
            work -> {
              Thread thread = new Thread(work, "pillion-blocking-" + created.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            },
            (work, full) -> {
              throw new RejectedExecutionException(
                  full.isShutdown()
                      ? "the Dapr API is closing"
                      : "all "
                          + threads
                          + " threads for blocking components are busy and "
                          + capacity
                          + " calls are waiting (BlockingCalls threads and queueCapacity)");
            });
    executor.allowCoreThreadTimeOut(true);
    return new BlockingCallsExecutor(
        ComponentCalls.create(blocking::contains, executor), Optional.of(executor));
  }

  /**
   * Where the API's calls into components run; give it to {@link DaprApi.Builder#calls}.
   *
   * @return the component calls
   */
  public ComponentCalls calls() {
    return calls;
  }

  /**
   * Whether an executor was started (the runtime has a blocking component).
   *
   * @return true with an executor
   */
  public boolean started() {
    return executor.isPresent();
  }

  /**
   * Takes no more calls and lets those running finish for up to {@code grace}, then interrupts what
   * is left.
   *
   * @param grace how long running calls may take
   */
  public void close(Duration grace) {
    long millis = grace.toMillis();
    executor.ifPresent(
        running -> {
          running.shutdown();
          try {
            if (!running.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
              running.shutdownNow();
            }
          } catch (InterruptedException e) {
            running.shutdownNow();
            Thread.currentThread().interrupt();
          }
        });
  }

  /** Takes no more calls and interrupts the running ones, without waiting. */
  @Override
  public void close() {
    executor.ifPresent(ThreadPoolExecutor::shutdownNow);
  }
}
