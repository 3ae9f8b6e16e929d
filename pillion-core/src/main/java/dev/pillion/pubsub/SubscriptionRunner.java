package dev.pillion.pubsub;

import dev.pillion.abi.pubsub.Ack;
import dev.pillion.abi.pubsub.AckOutcome;
import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.pubsub.spi.PubSubComponent;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Delivers one subscription: a loop thread leases messages from the component (at most as many as
 * there are free handler slots; in order when the concurrency is 1), handler threads (with
 * concurrency 1, the loop thread itself) run the handler under its timeout, and each message is
 * settled with SUCCESS, DROP, or RETRY with capped exponential backoff.
 *
 * <p>A handler that throws, returns null or overruns its timeout counts as RETRY. After {@code
 * maxRetries} retries a message goes to the dead-letter topic if there is one; without one it is
 * never dropped (only the handler's DROP discards a message): it keeps being retried at the backoff
 * cap and counts as stuck ({@link #stuckMessages()}, and a rate-limited warning with the count).
 *
 * <p>A RETRY is an acknowledgement: the component releases the lease and holds the message until
 * the backoff has passed, so no lease runs while a message waits for its retry, however long the
 * backoff. A message is settled only after its handler finished, so nothing is lost if the process
 * stops: the lease expires and the component delivers it again.
 */
final class SubscriptionRunner implements Subscription {
  private static final System.Logger LOG = System.getLogger(SubscriptionRunner.class.getName());
  private static final long IDLE_POLL_MILLIS = 50;
  private static final Duration LEASE_MARGIN = Duration.ofSeconds(10);
  private static final AtomicInteger NEXT_THREAD = new AtomicInteger();

  private final DefaultPubSub pubsub;
  private final PubSubComponent component;
  private final SubscriptionOptions options;
  private final EventHandler handler;
  private final String subscriptionName;
  private final StuckMessages stuck;
  private final Semaphore slots;

  /**
   * With one handler slot the loop thread runs the handler itself: a handler thread would only make
   * the loop wait for it, and handing each message over costs a thread wake-up.
   */
  private final boolean handlesInline;

  private final ExecutorService handlers;
  private final Thread loop;

  /** Guards {@link #deliveringInline} against {@link #close()}. */
  private final Object inlineDelivery = new Object();

  /** Whether the loop is running the handler itself; guarded by inlineDelivery. */
  private boolean deliveringInline;

  /**
   * Set by {@link #wake()}, cleared by the loop just before each pull: a wake-up that arrives while
   * the loop is pulling (or about to wait) is seen before it waits, so none is lost.
   */
  private final AtomicBoolean wakeRequested = new AtomicBoolean();

  private final Object retryLock = new Object();

  /**
   * When the earliest retry this runner scheduled is due ({@code nanoTime}); guarded by retryLock.
   */
  private long nextRetryAt;

  private boolean retryPending;
  private volatile boolean running = true;

  SubscriptionRunner(
      DefaultPubSub pubsub,
      PubSubComponent component,
      SubscriptionOptions options,
      EventHandler handler,
      String subscriptionName,
      StuckMessages stuck) {
    this.pubsub = pubsub;
    this.component = component;
    this.options = options;
    this.handler = handler;
    this.subscriptionName = subscriptionName;
    this.stuck = stuck;
    this.slots = new Semaphore(options.concurrency());
    this.handlesInline = options.concurrency() == 1;
    String prefix = "pillion-" + pubsub.name() + "-" + options.topic() + "-";
    this.handlers =
        Executors.newFixedThreadPool(
            options.concurrency(),
            runnable -> {
              Thread thread =
                  new Thread(runnable, prefix + "handler-" + NEXT_THREAD.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    this.loop = new Thread(this::run, prefix + "delivery");
    loop.setDaemon(true);
  }

  SubscriptionRunner start() {
    component.subscribe(options.topic(), subscriptionName);
    loop.start();
    return this;
  }

  /**
   * Called when something was published to this topic in this process: pull now rather than at the
   * next poll.
   */
  void wake() {
    if (!wakeRequested.get() && !wakeRequested.getAndSet(true)) {
      LockSupport.unpark(loop);
    }
  }

  String topic() {
    return options.topic();
  }

  /** The stuck-message tracker, shared with other runners of the same consumer group. */
  StuckMessages stuck() {
    return stuck;
  }

  private void run() {
    while (running) {
      try {
        if (!slots.tryAcquire(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
          continue;
        }
        int held = 1 + slots.drainPermits();
        // Before the pull: a publish it does not see wakes the loop again after it.
        wakeRequested.set(false);
        List<Message> messages;
        try {
          messages = pull(held);
        } catch (RuntimeException e) {
          // Give the slots back: kept, a few failed pulls would leave no slot and stop delivery.
          slots.release(held);
          throw e;
        }
        slots.release(held - messages.size());
        for (Message message : messages) {
          if (handlesInline) {
            deliverInline(message);
          } else {
            handlers.execute(() -> deliver(message));
          }
        }
        if (messages.isEmpty()) {
          idle();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "subscription " + describe() + ": pull failed; retrying",
            e);
        sleepQuietly(IDLE_POLL_MILLIS * 10);
      }
    }
  }

  /**
   * Runs a delivery on the loop thread. {@link #close()} does not interrupt the loop meanwhile, so
   * closing lets a running handler finish, as it does on a handler thread.
   */
  private void deliverInline(Message message) {
    synchronized (inlineDelivery) {
      if (!running) {
        // Closed after the pull: the lease runs out and the message comes back.
        return;
      }
      deliveringInline = true;
    }
    try {
      deliver(message);
    } finally {
      synchronized (inlineDelivery) {
        deliveringInline = false;
      }
    }
  }

  /**
   * Waits for a publish in this process, the next poll, or the retry due soonest, whichever comes
   * first: a retry after a short backoff does not wait for the poll interval. Returns at once if a
   * wake-up arrived since the last pull began (the lost wake-up: a publish landing between an empty
   * pull and this wait used to wait out the whole poll interval).
   */
  private void idle() throws InterruptedException {
    long now = System.nanoTime();
    long deadline = now + TimeUnit.MILLISECONDS.toNanos(IDLE_POLL_MILLIS);
    synchronized (retryLock) {
      if (retryPending) {
        if (nextRetryAt - now <= 0) {
          retryPending = false;
          return;
        }
        if (nextRetryAt - deadline < 0) {
          deadline = nextRetryAt;
        }
      }
    }
    while (!wakeRequested.get()) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return;
      }
      LockSupport.parkNanos(this, remaining);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  private void retryScheduled(long delayMillis) {
    // A millisecond more than the delay: the component's clock counts whole milliseconds.
    long now = System.nanoTime();
    long due = now + TimeUnit.MILLISECONDS.toNanos(delayMillis + 1);
    synchronized (retryLock) {
      // Replace a due time that already passed (that retry was pulled) or a later one.
      if (!retryPending || nextRetryAt - now <= 0 || due - nextRetryAt < 0) {
        nextRetryAt = due;
        retryPending = true;
      }
    }
  }

  private List<Message> pull(int max) {
    return component.pull(
        PullRequest.newBuilder()
            .setTopic(options.topic())
            .setSubscription(subscriptionName)
            .setMaxMessages(max)
            .setLeaseMillis(
                (int)
                    Math.min(
                        Integer.MAX_VALUE, options.handlerTimeout().plus(LEASE_MARGIN).toMillis()))
            .setOrdered(options.concurrency() == 1)
            .build());
  }

  private void deliver(Message message) {
    try {
      Event event =
          CloudEvents.read(
              message.getData().toByteArray(),
              CloudEvents.raw(message.getMetadataMap()),
              message.getId(),
              message.getTopic(),
              pubsub.name(),
              message.getMetadataMap(),
              message.getDeliveryCount());
      DeliveryResult result = invoke(event);
      settle(message, event, result);
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription " + describe() + ": delivery of " + message.getId() + " failed",
          e);
    } finally {
      slots.release();
      wake();
    }
  }

  private DeliveryResult invoke(Event event) {
    Thread thread = Thread.currentThread();
    Object lock = new Object();
    boolean[] state = {false, false}; // finished, timed out
    // The handler runs on this handler thread; a timer interrupts it if it overruns the timeout.
    // The lock makes sure the timer cannot interrupt once the handler has returned, so no
    // interrupt leaks into the next delivery.
    CompletableFuture<Void> timeout =
        CompletableFuture.runAsync(
            () -> {
              synchronized (lock) {
                if (!state[0]) {
                  state[1] = true;
                  thread.interrupt();
                }
              }
            },
            CompletableFuture.delayedExecutor(
                options.handlerTimeout().toMillis(), TimeUnit.MILLISECONDS));
    // Failures past the retry budget are summarized by the stuck-message warning instead.
    System.Logger.Level level =
        Integer.toUnsignedLong(event.deliveryCount()) > options.maxRetries() + 1L
            ? System.Logger.Level.DEBUG
            : System.Logger.Level.INFO;
    DeliveryResult result;
    try {
      result = handler.handle(event);
      if (result == null) {
        LOG.log(
            System.Logger.Level.WARNING,
            "subscription " + describe() + ": handler returned null; retrying");
        result = DeliveryResult.RETRY;
      }
    } catch (InterruptedException e) {
      result = DeliveryResult.RETRY;
    } catch (Exception e) {
      LOG.log(
          level,
          "subscription "
              + describe()
              + ": handler failed for event "
              + event.id()
              + ": "
              + e
              + "; retrying");
      result = DeliveryResult.RETRY;
    } catch (Error e) {
      // An Error from the handler (StackOverflowError, AssertionError, ...) fails this delivery
      // only: left to escape, it would kill the handler thread and leave the message leased.
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": handler threw "
              + e
              + " for event "
              + event.id()
              + "; retrying",
          e);
      result = DeliveryResult.RETRY;
    } finally {
      synchronized (lock) {
        state[0] = true;
      }
      timeout.cancel(false);
      Thread.interrupted();
    }
    if (state[1]) {
      // Overran its timeout: the delivery failed, whatever the handler answered late.
      LOG.log(
          level == System.Logger.Level.INFO ? System.Logger.Level.WARNING : level,
          "subscription "
              + describe()
              + ": handler exceeded "
              + options.handlerTimeout()
              + " for event "
              + event.id()
              + (result == DeliveryResult.RETRY ? "" : " (it answered " + result + " late)")
              + "; retrying");
      return DeliveryResult.RETRY;
    }
    return result;
  }

  private void settle(Message message, Event event, DeliveryResult result) {
    long deliveries = Integer.toUnsignedLong(message.getDeliveryCount());
    boolean overBudget = deliveries > options.maxRetries();
    Ack.Builder ack = Ack.newBuilder().setId(message.getId());
    String stuckBecause = null;
    switch (result) {
      case SUCCESS -> ack.setOutcome(AckOutcome.SUCCESS);
      case DROP -> ack.setOutcome(AckOutcome.DROP);
      case RETRY -> {
        Optional<String> deadLetterTopic = options.deadLetterTopic();
        if (overBudget
            && deadLetterTopic.isPresent()
            && deadLetter(message, deadLetterTopic.get())) {
          ack.setOutcome(AckOutcome.SUCCESS);
        } else {
          ack.setOutcome(AckOutcome.RETRY)
              .setRetryAfterMillis((int) backoffMillis(options, deliveries));
          if (overBudget) {
            stuckBecause =
                deadLetterTopic
                    .map(topic -> "dead-lettering to '" + topic + "' fails")
                    .orElse("no dead-letter topic");
          }
        }
      }
    }
    if (stuckBecause != null) {
      // Recorded before the ack, so the count is visible by the time the message can come back.
      String because = stuckBecause;
      stuck
          .failed(message.getId(), event.id(), deliveries, stuckHorizon())
          .ifPresent(report -> warnStuck(report, because));
    }
    List<String> unknown =
        component.ack(
            AckRequest.newBuilder()
                .setTopic(options.topic())
                .setSubscription(subscriptionName)
                .addAcks(ack)
                .build());
    if (ack.getOutcome() == AckOutcome.RETRY) {
      retryScheduled(ack.getRetryAfterMillis());
    }
    if (!unknown.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": lease of message "
              + message.getId()
              + " had expired before its handler finished; it may be delivered again");
    }
    if (ack.getOutcome() != AckOutcome.RETRY) {
      stuck
          .settled(message.getId())
          .ifPresent(
              was ->
                  LOG.log(
                      System.Logger.Level.INFO,
                      "subscription "
                          + describe()
                          + ": stuck event "
                          + event.id()
                          + " (message "
                          + message.getId()
                          + ") was "
                          + (result == DeliveryResult.SUCCESS
                              ? "handled"
                              : result == DeliveryResult.DROP
                                  ? "dropped by its handler"
                                  : "dead-lettered")
                          + " after "
                          + deliveries
                          + " deliveries; "
                          + stuck.count()
                          + " still stuck"));
    }
  }

  private void warnStuck(StuckMessages.Report report, String because) {
    if (report.oldest() == null) {
      return;
    }
    LOG.log(
        System.Logger.Level.WARNING,
        "subscription "
            + describe()
            + ": "
            + report.count()
            + (report.count() == 1 ? " message has" : " messages have")
            + " failed more than maxRetries ("
            + options.maxRetries()
            + ") deliveries and "
            + (report.count() == 1 ? "is" : "are")
            + " still being retried ("
            + because
            + "; backoff up to "
            + human(options.maxBackoff())
            + ")"
            + (report.newSinceLastReport() < report.count()
                ? ", " + report.newSinceLastReport() + " new since the last report"
                : "")
            + "; the oldest, event "
            + report.oldest().eventId()
            + " (message "
            + report.oldest().id()
            + "), has failed "
            + report.oldest().deliveries()
            + (report.oldest().deliveries() == 1 ? " delivery" : " deliveries")
            + (report.oldestFor().getSeconds() > 0
                ? " and has been stuck for " + human(report.oldestFor())
                : "")
            + (options.concurrency() == 1
                ? " and holds up the later events of the topic (concurrency 1 keeps order)"
                : "")
            + ". The handler's DROP or a dead-letter topic ends the retries.");
  }

  /** A duration as Dapr's YAML writes it: 1m, 2m13s, 0.05s. */
  private static String human(Duration duration) {
    return duration
        .truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
        .toString()
        .substring(2)
        .toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * How long a stuck message is remembered without failing again: it comes back within a backoff
   * cap plus, when every handler slot is busy, a handler timeout; twice that, plus the lease
   * margin, leaves room for a loaded machine.
   */
  private Duration stuckHorizon() {
    return options.maxBackoff().plus(options.handlerTimeout()).multipliedBy(2).plus(LEASE_MARGIN);
  }

  /** Publishes the message to the dead-letter topic; false (and a warning) if that failed. */
  private boolean deadLetter(Message message, String topic) {
    try {
      pubsub.forward(message, topic);
      return true;
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": dead-lettering message "
              + message.getId()
              + " to '"
              + topic
              + "' failed; retrying",
          e);
      return false;
    }
  }

  /**
   * The delay before the retry after a failed delivery: {@code initialBackoff} after the first,
   * doubling with each further failure, capped at {@code maxBackoff}.
   *
   * @param options the subscription's options
   * @param deliveries the failed deliveries so far (1 or more)
   * @return the delay in milliseconds, at most {@link Integer#MAX_VALUE}
   */
  static long backoffMillis(SubscriptionOptions options, long deliveries) {
    long cap = Math.min(options.maxBackoff().toMillis(), Integer.MAX_VALUE);
    long delay = Math.min(options.initialBackoff().toMillis(), cap);
    for (long i = 1; i < deliveries && delay > 0 && delay < cap; i++) {
      delay = delay > cap / 2 ? cap : delay * 2;
    }
    return delay;
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String describe() {
    return "'" + subscriptionName + "' of " + pubsub.name() + "/" + options.topic();
  }

  @Override
  public SubscriptionOptions options() {
    return options;
  }

  @Override
  public String subscriptionName() {
    return subscriptionName;
  }

  @Override
  public int stuckMessages() {
    return stuck.count();
  }

  @Override
  public void close() {
    if (!running) {
      return;
    }
    synchronized (inlineDelivery) {
      running = false;
      if (!deliveringInline) {
        loop.interrupt();
      }
    }
    try {
      // A handler running on the loop gets as long as one on a handler thread.
      loop.join(handlesInline ? options.handlerTimeout().toMillis() + 6000 : 5000);
      handlers.shutdown();
      if (!handlers.awaitTermination(
          options.handlerTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
        handlers.shutdownNow();
      }
    } catch (InterruptedException e) {
      handlers.shutdownNow();
      Thread.currentThread().interrupt();
    }
    pubsub.unregister(this);
  }
}
