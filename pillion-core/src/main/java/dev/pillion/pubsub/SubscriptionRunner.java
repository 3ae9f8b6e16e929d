package dev.pillion.pubsub;

import dev.pillion.abi.pubsub.Ack;
import dev.pillion.abi.pubsub.AckOutcome;
import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.pubsub.spi.PubSubComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
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
 *
 * <p>A bulk subscription's handler slot takes a batch instead of a message: the loop leases up to
 * {@code bulkMaxMessages}, and while the batch is not full it waits (for a publish, at most until
 * {@code bulkMaxAwait} after the batch's first message) and leases more. Its pulls are unordered,
 * since messages of the batch being formed are leased and an ordered pull stops at them; each entry
 * is settled on its own, in one acknowledgement for the batch.
 */
final class SubscriptionRunner implements Subscription {
  private static final System.Logger LOG = System.getLogger(SubscriptionRunner.class.getName());
  private static final long IDLE_POLL_MILLIS = 50;
  private static final Duration LEASE_MARGIN = Duration.ofSeconds(10);

  /**
   * The most messages one pull of a bulk subscription asks for: a larger batch takes several pulls,
   * so no single response has to carry a whole batch of large messages.
   */
  private static final int BULK_PULL_CHUNK = 256;

  private static final AtomicInteger NEXT_THREAD = new AtomicInteger();

  private final DefaultPubSub pubsub;
  private final PubSubComponent component;
  private final SubscriptionOptions options;

  /** The handler of a subscription of single events; null for a bulk subscription. */
  private final EventHandler handler;

  /** The handler of a bulk subscription; null for a subscription of single events. */
  private final BulkEventHandler bulkHandler;

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

  /** Settlements of handler threads waiting for the next group commit (see settleGrouped). */
  private final java.util.concurrent.ConcurrentLinkedQueue<Settlement> pendingSettlements =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** Whether a handler thread is acknowledging pending settlements. */
  private final AtomicBoolean flushingSettlements = new AtomicBoolean();

  /**
   * When the earliest retry this runner scheduled is due ({@code nanoTime}); guarded by retryLock.
   */
  private long nextRetryAt;

  private boolean retryPending;
  private volatile boolean running = true;

  /** Whether the loop is paused because the app is unhealthy; only the loop thread uses it. */
  private boolean paused;

  SubscriptionRunner(
      DefaultPubSub pubsub,
      PubSubComponent component,
      SubscriptionOptions options,
      EventHandler handler,
      String subscriptionName,
      StuckMessages stuck) {
    this(pubsub, component, options, handler, null, subscriptionName, stuck);
  }

  SubscriptionRunner(
      DefaultPubSub pubsub,
      PubSubComponent component,
      SubscriptionOptions options,
      BulkEventHandler bulkHandler,
      String subscriptionName,
      StuckMessages stuck) {
    this(pubsub, component, options, null, bulkHandler, subscriptionName, stuck);
  }

  private SubscriptionRunner(
      DefaultPubSub pubsub,
      PubSubComponent component,
      SubscriptionOptions options,
      EventHandler handler,
      BulkEventHandler bulkHandler,
      String subscriptionName,
      StuckMessages stuck) {
    this.pubsub = pubsub;
    this.component = component;
    this.options = options;
    this.handler = handler;
    this.bulkHandler = bulkHandler;
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
        if (!options.appHealth().healthy()) {
          // Paused: nothing is pulled, so messages wait in the broker without a delivery attempt.
          pausedWhileUnhealthy();
          continue;
        }
        if (paused) {
          paused = false;
          LOG.log(
              System.Logger.Level.INFO,
              "subscription " + describe() + ": the app is healthy again; delivery resumes");
        }
        if (!slots.tryAcquire(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
          continue;
        }
        if (bulkHandler != null) {
          if (!startBatch()) {
            idle();
          }
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

  /** Waits one poll interval while the app is unhealthy, logging the pause once. */
  private void pausedWhileUnhealthy() throws InterruptedException {
    if (!paused) {
      paused = true;
      LOG.log(
          System.Logger.Level.INFO,
          "subscription " + describe() + ": paused while the app is unhealthy");
    }
    Thread.sleep(IDLE_POLL_MILLIS);
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

  /**
   * Leases the first messages of a batch with the slot the loop holds; if there are any, fills the
   * batch and hands it to a handler thread, which gives the slot back.
   *
   * @return false (and the slot given back) when there was nothing to deliver
   */
  private boolean startBatch() {
    List<Message> batch = new ArrayList<>();
    try {
      pullInto(batch);
    } catch (RuntimeException e) {
      // Give the slot back: kept, a few failed pulls would leave no slot and stop delivery.
      slots.release();
      throw e;
    }
    if (batch.isEmpty()) {
      slots.release();
      return false;
    }
    try {
      fill(batch, System.nanoTime() + options.bulkMaxAwait().toNanos());
    } catch (InterruptedException e) {
      // Closing: what is leased is delivered now rather than when its lease expires.
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": a pull failed while forming a batch; delivering the "
              + batch.size()
              + " events leased so far",
          e);
    }
    handlers.execute(() -> deliverBatch(batch));
    return true;
  }

  /**
   * Adds messages to a batch until it is full or the deadline passes, waiting for publishes in
   * between; a pull that found fewer than it asked for means the topic is drained for now.
   */
  private void fill(List<Message> batch, long deadline) throws InterruptedException {
    int max = options.bulkMaxMessages();
    // An app turning unhealthy ends the batch: what is leased is delivered, nothing more pulled.
    while (batch.size() < max && running && options.appHealth().healthy()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      // The same wake-up flag as idle(): a publish since the last pull is not waited out.
      if (!wakeRequested.get()) {
        LockSupport.parkNanos(
            this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(IDLE_POLL_MILLIS)));
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
      wakeRequested.set(false);
      pullInto(batch);
    }
  }

  /** Leases messages into a batch: chunk by chunk while the topic has more and the batch room. */
  private void pullInto(List<Message> batch) {
    int max = options.bulkMaxMessages();
    while (batch.size() < max) {
      int asked = Math.min(BULK_PULL_CHUNK, max - batch.size());
      List<Message> pulled =
          component.pull(
              PullRequest.newBuilder()
                  .setTopic(options.topic())
                  .setSubscription(subscriptionName)
                  .setMaxMessages(asked)
                  .setLeaseMillis(
                      (int)
                          Math.min(
                              Integer.MAX_VALUE,
                              options
                                  .handlerTimeout()
                                  .plus(options.bulkMaxAwait())
                                  .plus(LEASE_MARGIN)
                                  .toMillis()))
                  .setOrdered(false)
                  .build());
      batch.addAll(pulled);
      if (pulled.size() < asked) {
        return;
      }
    }
  }

  /** Reads a message as the subscription's handler sees it. */
  private Event read(Message message) {
    // The delivery's own copy of the message: the event takes it over without another copy.
    byte[] data = message.getData().toByteArray();
    if (options.rawPayload()) {
      return CloudEvents.wrapRawPayload(
          data,
          message.getId(),
          message.getTopic(),
          pubsub.name(),
          message.getMetadataMap(),
          message.getDeliveryCount());
    }
    return CloudEvents.read(
        data,
        CloudEvents.raw(message.getMetadataMap()),
        message.getId(),
        message.getTopic(),
        pubsub.name(),
        message.getMetadataMap(),
        message.getDeliveryCount());
  }

  private void deliver(Message message) {
    try {
      Event event = read(message);
      DeliveryResult result = invoke(event);
      Settlement settlement = new Settlement(message, event, result);
      if (handlesInline) {
        settle(List.of(settlement));
      } else {
        settleGrouped(settlement);
      }
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

  private void deliverBatch(List<Message> batch) {
    try {
      List<BulkEntry> entries = new ArrayList<>(batch.size());
      for (Message message : batch) {
        entries.add(new BulkEntry(message.getId(), read(message), options.rawPayload()));
      }
      Optional<Map<String, DeliveryResult>> answered = invokeBulk(entries);
      Map<String, DeliveryResult> results = answered.orElse(Map.of());
      List<Settlement> settlements = new ArrayList<>(batch.size());
      Set<String> ids = new HashSet<>();
      int unanswered = 0;
      for (BulkEntry entry : entries) {
        ids.add(entry.entryId());
        DeliveryResult result = results.get(entry.entryId());
        if (result == null) {
          unanswered++;
          result = DeliveryResult.RETRY;
        }
        settlements.add(new Settlement(batch.get(settlements.size()), entry.event(), result));
      }
      long unknown = results.keySet().stream().filter(id -> !ids.contains(id)).count();
      if (answered.isPresent() && (unanswered > 0 || unknown > 0)) {
        LOG.log(
            System.Logger.Level.INFO,
            "subscription "
                + describe()
                + ": the bulk handler answered "
                + (entries.size() - unanswered)
                + " of "
                + entries.size()
                + " entries"
                + (unknown > 0 ? " and " + unknown + " unknown entry ids (ignored)" : "")
                + (unanswered > 0 ? "; the " + unanswered + " without a status are retried" : ""));
      }
      settle(settlements);
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription " + describe() + ": delivery of a batch of " + batch.size() + " failed",
          e);
    } finally {
      slots.release();
      wake();
    }
  }

  /** What a handler call came to. */
  private record Call<T>(T value, Throwable failure, boolean timedOut) {}

  /**
   * Runs a handler on this handler thread under the subscription's handler timeout: a timer
   * interrupts the thread if it overruns. The lock makes sure the timer cannot interrupt once the
   * handler has returned, so no interrupt leaks into the next delivery.
   */
  private <T> Call<T> callUnderTimeout(Callable<T> call) {
    Thread thread = Thread.currentThread();
    Object lock = new Object();
    boolean[] state = {false, false}; // finished, timed out
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
    T value = null;
    Throwable failure = null;
    try {
      value = call.call();
    } catch (Exception e) {
      failure = e;
    } catch (Error e) {
      // An Error from the handler (StackOverflowError, AssertionError, ...) fails this delivery
      // only: left to escape, it would kill the handler thread and leave the message leased.
      failure = e;
    } finally {
      synchronized (lock) {
        state[0] = true;
      }
      timeout.cancel(false);
      Thread.interrupted();
    }
    return new Call<>(value, failure, state[1]);
  }

  private DeliveryResult invoke(Event event) {
    // Failures past the retry budget are summarized by the stuck-message warning instead.
    System.Logger.Level level =
        Integer.toUnsignedLong(event.deliveryCount()) > options.maxRetries() + 1L
            ? System.Logger.Level.DEBUG
            : System.Logger.Level.INFO;
    Call<DeliveryResult> call = callUnderTimeout(() -> handler.handle(event));
    DeliveryResult result = call.value();
    if (call.failure() instanceof InterruptedException) {
      result = DeliveryResult.RETRY;
    } else if (call.failure() instanceof Error e) {
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
    } else if (call.failure() != null) {
      LOG.log(
          level,
          "subscription "
              + describe()
              + ": handler failed for event "
              + event.id()
              + ": "
              + call.failure()
              + "; retrying");
      result = DeliveryResult.RETRY;
    } else if (result == null) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription " + describe() + ": handler returned null; retrying");
      result = DeliveryResult.RETRY;
    }
    if (call.timedOut()) {
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

  /**
   * Runs the bulk handler on a batch: the outcome of each entry it answered (the others are
   * retried), or empty, logged, when it failed, returned null or overran its timeout.
   */
  private Optional<Map<String, DeliveryResult>> invokeBulk(List<BulkEntry> entries) {
    Call<Map<String, DeliveryResult>> call =
        callUnderTimeout(() -> bulkHandler.handle(List.copyOf(entries)));
    String batch =
        "batch of " + entries.size() + " (first event " + entries.get(0).event().id() + ")";
    if (call.timedOut()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": bulk handler exceeded "
              + options.handlerTimeout()
              + " for a "
              + batch
              + "; retrying every entry");
      return Optional.empty();
    }
    if (call.failure() instanceof InterruptedException) {
      return Optional.empty();
    }
    if (call.failure() != null) {
      LOG.log(
          call.failure() instanceof Error ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
          "subscription "
              + describe()
              + ": bulk handler failed for a "
              + batch
              + ": "
              + call.failure()
              + "; retrying every entry",
          call.failure() instanceof Error ? call.failure() : null);
      return Optional.empty();
    }
    if (call.value() == null) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription " + describe() + ": bulk handler returned null; retrying every entry");
      return Optional.empty();
    }
    return Optional.of(call.value());
  }

  /** A delivered message and what to do with it. */
  private record Settlement(Message message, Event event, DeliveryResult result) {}

  /**
   * Settles a message handled on a handler thread together with those other handler threads
   * finished meanwhile (a group commit): the first thread to find no flush running acknowledges
   * every pending settlement in one call, the others only queue theirs. With several handlers, one
   * ack per message meant one commit to the broker's storage per message, and those commits queue
   * behind each other and the publisher's; a thread never waits here for another's flush, and a
   * settlement queued while a flush runs is taken by that flush's next round.
   */
  private void settleGrouped(Settlement settlement) {
    pendingSettlements.add(settlement);
    while (!pendingSettlements.isEmpty() && flushingSettlements.compareAndSet(false, true)) {
      List<Settlement> batch = new ArrayList<>();
      try {
        for (Settlement next; (next = pendingSettlements.poll()) != null; ) {
          batch.add(next);
        }
        if (!batch.isEmpty()) {
          settle(batch);
        }
      } catch (RuntimeException e) {
        // Not acknowledged: their leases run out and the component delivers them again.
        LOG.log(
            System.Logger.Level.WARNING,
            "subscription "
                + describe()
                + ": settling "
                + batch.stream().map(each -> each.message().getId()).toList()
                + " failed; they will be delivered again",
            e);
      } finally {
        flushingSettlements.set(false);
      }
    }
  }

  /**
   * Settles delivered messages in one acknowledgement: SUCCESS and DROP as they are, RETRY after
   * the backoff, or, past {@code maxRetries}, to the dead-letter topic if there is one.
   */
  private void settle(List<Settlement> settlements) {
    AckRequest.Builder request =
        AckRequest.newBuilder().setTopic(options.topic()).setSubscription(subscriptionName);
    long soonestRetry = Long.MAX_VALUE;
    for (Settlement settlement : settlements) {
      Ack ack = decide(settlement);
      request.addAcks(ack);
      if (ack.getOutcome() == AckOutcome.RETRY) {
        soonestRetry = Math.min(soonestRetry, ack.getRetryAfterMillis());
      }
    }
    List<String> unknown = component.ack(request.build());
    if (soonestRetry != Long.MAX_VALUE) {
      retryScheduled(soonestRetry);
    }
    if (!unknown.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": lease of message"
              + (unknown.size() == 1 ? " " : "s ")
              + String.join(", ", unknown)
              + " had expired before "
              + (unknown.size() == 1 ? "its handler" : "their handlers")
              + " finished; "
              + (unknown.size() == 1 ? "it" : "they")
              + " may be delivered again");
    }
    for (int i = 0; i < settlements.size(); i++) {
      if (request.getAcks(i).getOutcome() != AckOutcome.RETRY) {
        settled(settlements.get(i));
      }
    }
  }

  /** The acknowledgement of one message; dead-letters it, and counts it as stuck, as needed. */
  private Ack decide(Settlement settlement) {
    Message message = settlement.message();
    long deliveries = Integer.toUnsignedLong(message.getDeliveryCount());
    boolean overBudget = deliveries > options.maxRetries();
    Ack.Builder ack = Ack.newBuilder().setId(message.getId());
    String stuckBecause = null;
    switch (settlement.result()) {
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
          .failed(message.getId(), settlement.event().id(), deliveries, stuckHorizon())
          .ifPresent(report -> warnStuck(report, because));
    }
    return ack.build();
  }

  /** Forgets a settled message that was stuck, and says so. */
  private void settled(Settlement settlement) {
    Message message = settlement.message();
    DeliveryResult result = settlement.result();
    stuck
        .settled(message.getId())
        .ifPresent(
            was ->
                LOG.log(
                    System.Logger.Level.INFO,
                    "subscription "
                        + describe()
                        + ": stuck event "
                        + settlement.event().id()
                        + " (message "
                        + message.getId()
                        + ") was "
                        + (result == DeliveryResult.SUCCESS
                            ? "handled"
                            : result == DeliveryResult.DROP
                                ? "dropped by its handler"
                                : "dead-lettered")
                        + " after "
                        + Integer.toUnsignedLong(message.getDeliveryCount())
                        + " deliveries; "
                        + stuck.count()
                        + " still stuck"));
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
