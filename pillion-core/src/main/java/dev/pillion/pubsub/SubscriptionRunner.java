package dev.pillion.pubsub;

import dev.pillion.abi.pubsub.Ack;
import dev.pillion.abi.pubsub.AckOutcome;
import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.pubsub.spi.PubSubComponent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Delivers one subscription: a loop thread leases messages from the component (at most as many as
 * there are free handler slots; in order when the concurrency is 1), handler threads run the
 * handler under its timeout, and each message is settled with SUCCESS, DROP, or RETRY with
 * exponential backoff; after the last retry it goes to the dead-letter topic, or is dropped. A
 * message is settled only after its handler finished, so nothing is lost if the process stops: the
 * lease expires and the component delivers it again.
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
  private final Semaphore slots;
  private final ExecutorService handlers;
  private final Thread loop;
  private final Object wake = new Object();
  private volatile boolean running = true;

  SubscriptionRunner(
      DefaultPubSub pubsub,
      PubSubComponent component,
      SubscriptionOptions options,
      EventHandler handler,
      String subscriptionName) {
    this.pubsub = pubsub;
    this.component = component;
    this.options = options;
    this.handler = handler;
    this.subscriptionName = subscriptionName;
    this.slots = new Semaphore(options.concurrency());
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
    synchronized (wake) {
      wake.notifyAll();
    }
  }

  String topic() {
    return options.topic();
  }

  private void run() {
    while (running) {
      try {
        if (!slots.tryAcquire(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
          continue;
        }
        int held = 1 + slots.drainPermits();
        List<Message> messages = pull(held);
        slots.release(held - messages.size());
        for (Message message : messages) {
          handlers.execute(() -> deliver(message));
        }
        if (messages.isEmpty()) {
          synchronized (wake) {
            wake.wait(IDLE_POLL_MILLIS);
          }
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
      settle(message, result);
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
    boolean[] finished = {false};
    // The handler runs on this handler thread; a timer interrupts it if it overruns the timeout.
    // The lock makes sure
    // the timer cannot interrupt once the handler has returned, so no interrupt leaks into the next
    // delivery.
    CompletableFuture<Void> timeout =
        CompletableFuture.runAsync(
            () -> {
              synchronized (lock) {
                if (!finished[0]) {
                  thread.interrupt();
                }
              }
            },
            CompletableFuture.delayedExecutor(
                options.handlerTimeout().toMillis(), TimeUnit.MILLISECONDS));
    try {
      DeliveryResult result = handler.handle(event);
      if (result == null) {
        LOG.log(
            System.Logger.Level.WARNING,
            "subscription " + describe() + ": handler returned null; retrying");
        return DeliveryResult.RETRY;
      }
      return result;
    } catch (InterruptedException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": handler exceeded "
              + options.handlerTimeout()
              + " for event "
              + event.id());
      return DeliveryResult.RETRY;
    } catch (Exception e) {
      LOG.log(
          System.Logger.Level.INFO,
          "subscription "
              + describe()
              + ": handler failed for event "
              + event.id()
              + ": "
              + e
              + "; retrying");
      return DeliveryResult.RETRY;
    } finally {
      synchronized (lock) {
        finished[0] = true;
      }
      timeout.cancel(false);
      Thread.interrupted();
    }
  }

  private void settle(Message message, DeliveryResult result) {
    Ack.Builder ack = Ack.newBuilder().setId(message.getId());
    switch (result) {
      case SUCCESS -> ack.setOutcome(AckOutcome.SUCCESS);
      case DROP -> ack.setOutcome(AckOutcome.DROP);
      case RETRY -> {
        if (message.getDeliveryCount() > options.maxRetries()) {
          ack.setOutcome(giveUp(message));
        } else {
          ack.setOutcome(AckOutcome.RETRY)
              .setRetryAfterMillis(backoffMillis(message.getDeliveryCount()));
        }
      }
    }
    List<String> unknown =
        component.ack(
            AckRequest.newBuilder()
                .setTopic(options.topic())
                .setSubscription(subscriptionName)
                .addAcks(ack)
                .build());
    if (!unknown.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": lease of message "
              + message.getId()
              + " had expired before its handler finished; it may be delivered again");
    }
  }

  /**
   * The last retry failed: dead-letter the message if a topic is set (retrying if that fails), else
   * drop it.
   */
  private AckOutcome giveUp(Message message) {
    if (options.deadLetterTopic().isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": message "
              + message.getId()
              + " failed "
              + message.getDeliveryCount()
              + " deliveries and has no dead-letter topic; dropped");
      return AckOutcome.DROP;
    }
    try {
      pubsub.forward(message, options.deadLetterTopic().get());
      return AckOutcome.SUCCESS;
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "subscription "
              + describe()
              + ": dead-lettering message "
              + message.getId()
              + " failed; retrying",
          e);
      return AckOutcome.RETRY;
    }
  }

  private int backoffMillis(int deliveryCount) {
    long initial = options.initialBackoff().toMillis();
    long delay = initial << Math.min(30, Math.max(0, deliveryCount - 1));
    return (int) Math.min(Math.min(delay, options.maxBackoff().toMillis()), Integer.MAX_VALUE);
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
  public void close() {
    if (!running) {
      return;
    }
    running = false;
    loop.interrupt();
    try {
      loop.join(5000);
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
