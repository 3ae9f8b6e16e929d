package dev.pillion.pubsub;

import dev.pillion.AppHealth;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a subscription is delivered. Immutable; build with {@link #builder(String)}.
 *
 * <p>Defaults: subscription name = the app id; concurrency 1 (events of the topic are handled one
 * at a time, in order); exponential backoff from 100 ms, doubling, capped at 60 s (the cap of
 * Dapr's resiliency exponential policy); 5 retries before an event goes to the dead-letter topic; a
 * 30 s handler timeout; no dead-letter topic.
 *
 * <p>Without a dead-letter topic an event is never dropped unless the handler answers {@link
 * DeliveryResult#DROP}: past {@code maxRetries} it keeps being retried at most {@code maxBackoff}
 * apart and counts as stuck ({@link Subscription#stuckMessages()}, and a warning in the log). With
 * concurrency 1 a stuck event holds up the events published after it, since the topic is delivered
 * in order.
 *
 * <p>Bulk subscriptions ({@link PubSub#subscribeBulk}) hand their handler batches of up to {@link
 * #bulkMaxMessages()} events (100 by default), waiting at most {@link #bulkMaxAwait()} (1 s by
 * default, Dapr's defaults) after the first event of a batch for it to fill.
 */
public final class SubscriptionOptions {
  /** The longest delay the pull/ack contract carries (a uint32 of milliseconds, kept signed). */
  private static final Duration MAX_DELAY = Duration.ofMillis(Integer.MAX_VALUE);

  private final String topic;
  private final String subscriptionName;
  private final int concurrency;
  private final int maxRetries;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration handlerTimeout;
  private final String deadLetterTopic;
  private final boolean rawPayload;
  private final int bulkMaxMessages;
  private final Duration bulkMaxAwait;
  private final AppHealth appHealth;

  private SubscriptionOptions(Builder builder) {
    this.topic = builder.topic;
    this.subscriptionName = builder.subscriptionName;
    this.concurrency = builder.concurrency;
    this.maxRetries = builder.maxRetries;
    this.initialBackoff = builder.initialBackoff;
    this.maxBackoff = builder.maxBackoff;
    this.handlerTimeout = builder.handlerTimeout;
    this.deadLetterTopic = builder.deadLetterTopic;
    this.rawPayload = builder.rawPayload;
    this.bulkMaxMessages = builder.bulkMaxMessages;
    this.bulkMaxAwait = builder.bulkMaxAwait;
    this.appHealth = builder.appHealth;
  }

  /**
   * A builder for a subscription to a topic.
   *
   * @param topic the topic
   * @return the builder
   */
  public static Builder builder(String topic) {
    return new Builder(topic);
  }

  /**
   * The topic.
   *
   * @return the topic
   */
  public String topic() {
    return topic;
  }

  /**
   * The subscription (consumer group) name; subscribers with the same name share the events.
   *
   * @return the name, or empty for the app id
   */
  public Optional<String> subscriptionName() {
    return Optional.ofNullable(subscriptionName);
  }

  /**
   * How many events are handled at once.
   *
   * @return the concurrency (1 keeps the topic's order)
   */
  public int concurrency() {
    return concurrency;
  }

  /**
   * How many times a failed event is retried before it goes to the dead-letter topic. Without a
   * dead-letter topic retries go on past this limit (an event is never dropped unless its handler
   * says so), and the event counts as stuck ({@link Subscription#stuckMessages()}).
   *
   * @return the retry limit
   */
  public int maxRetries() {
    return maxRetries;
  }

  /**
   * The first retry's delay; each retry doubles it, up to {@link #maxBackoff()}.
   *
   * @return the initial backoff
   */
  public Duration initialBackoff() {
    return initialBackoff;
  }

  /**
   * The longest retry delay: the backoff's cap, and the interval at which stuck events are retried.
   *
   * @return the maximum backoff
   */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /**
   * How long a handler may take before the delivery counts as failed.
   *
   * @return the timeout
   */
  public Duration handlerTimeout() {
    return handlerTimeout;
  }

  /**
   * Where events that exhausted their retries go.
   *
   * @return the dead-letter topic, or empty to drop them
   */
  public Optional<String> deadLetterTopic() {
    return Optional.ofNullable(deadLetterTopic);
  }

  /**
   * Whether the subscription reads every message as raw bytes (Dapr's subscription metadata {@code
   * rawPayload: "true"}): the handler's {@link Event} carries the message as published, wrapped as
   * daprd wraps it for such subscriptions: a CloudEvent with the bytes in {@code data_base64},
   * {@code datacontenttype: application/octet-stream}, source {@code Dapr}, type {@code
   * com.dapr.event.sent}, even when the message is itself a CloudEvent.
   *
   * @return true for raw payloads
   */
  public boolean rawPayload() {
    return rawPayload;
  }

  /**
   * The most events in one batch of a bulk subscription.
   *
   * @return the batch size limit, 1 or more
   */
  public int bulkMaxMessages() {
    return bulkMaxMessages;
  }

  /**
   * How long a bulk subscription waits, after the first event of a batch, for the batch to fill
   * before it hands the batch to its handler.
   *
   * @return the longest wait
   */
  public Duration bulkMaxAwait() {
    return bulkMaxAwait;
  }

  /**
   * The health of the app the subscription delivers to: while it is unhealthy the subscription
   * pulls nothing, so messages wait in the broker and no delivery attempt is spent on them.
   *
   * @return the app's health ({@link AppHealth#unchecked()} unless set)
   */
  public AppHealth appHealth() {
    return appHealth;
  }

  /** Builds {@link SubscriptionOptions}. */
  public static final class Builder {
    private final String topic;
    private String subscriptionName;
    private int concurrency = 1;
    private int maxRetries = 5;
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(60);
    private Duration handlerTimeout = Duration.ofSeconds(30);
    private String deadLetterTopic;
    private boolean rawPayload;
    private int bulkMaxMessages = 100;
    private Duration bulkMaxAwait = Duration.ofSeconds(1);
    private AppHealth appHealth = AppHealth.unchecked();

    private Builder(String topic) {
      this.topic = Objects.requireNonNull(topic, "topic");
      if (topic.isEmpty()) {
        throw new IllegalArgumentException("topic must not be empty");
      }
    }

    /**
     * Sets the subscription (consumer group) name.
     *
     * @param name the name
     * @return this builder
     */
    public Builder subscriptionName(String name) {
      this.subscriptionName = Objects.requireNonNull(name);
      return this;
    }

    /**
     * Sets the concurrency.
     *
     * @param concurrency 1 or more
     * @return this builder
     */
    public Builder concurrency(int concurrency) {
      if (concurrency < 1) {
        throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
      }
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Sets the retry limit: the retries before an event goes to the dead-letter topic, or, without
     * one, before it counts as stuck (it is retried further).
     *
     * @param retries 0 or more
     * @return this builder
     */
    public Builder maxRetries(int retries) {
      if (retries < 0) {
        throw new IllegalArgumentException("maxRetries must not be negative, got " + retries);
      }
      this.maxRetries = retries;
      return this;
    }

    /**
     * Sets the backoff between retries: {@code initial} after the first failure, doubling with each
     * further one, never more than {@code max}. A zero {@code max} retries at once, forever for an
     * event that keeps failing without a dead-letter topic; keep it above zero in production.
     *
     * @param initial the first delay
     * @param max the longest delay (the cap), at most {@link Integer#MAX_VALUE} milliseconds
     * @return this builder
     */
    public Builder backoff(Duration initial, Duration max) {
      Objects.requireNonNull(initial, "initial backoff");
      Objects.requireNonNull(max, "max backoff");
      if (initial.isNegative() || max.compareTo(initial) < 0) {
        throw new IllegalArgumentException(
            "backoff must satisfy 0 <= initial <= max, got initial " + initial + " and max " + max);
      }
      if (max.compareTo(MAX_DELAY) > 0) {
        throw new IllegalArgumentException(
            "max backoff must be at most " + MAX_DELAY + " (2^31-1 ms), got " + max);
      }
      this.initialBackoff = initial;
      this.maxBackoff = max;
      return this;
    }

    /**
     * Sets the handler timeout.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder handlerTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "handlerTimeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("handlerTimeout must be positive, got " + timeout);
      }
      if (timeout.compareTo(MAX_DELAY) > 0) {
        throw new IllegalArgumentException(
            "handlerTimeout must be at most " + MAX_DELAY + " (2^31-1 ms), got " + timeout);
      }
      this.handlerTimeout = timeout;
      return this;
    }

    /**
     * Sets the dead-letter topic.
     *
     * @param topic the topic events go to after their last retry
     * @return this builder
     */
    public Builder deadLetterTopic(String topic) {
      Objects.requireNonNull(topic, "deadLetterTopic");
      if (topic.isEmpty()) {
        throw new IllegalArgumentException("deadLetterTopic must not be empty");
      }
      this.deadLetterTopic = topic;
      return this;
    }

    /**
     * Reads every message as raw bytes; see {@link SubscriptionOptions#rawPayload()}.
     *
     * @param raw true for raw payloads
     * @return this builder
     */
    public Builder rawPayload(boolean raw) {
      this.rawPayload = raw;
      return this;
    }

    /**
     * Sets the batching of a bulk subscription ({@link PubSub#subscribeBulk}); other subscriptions
     * ignore it.
     *
     * @param maxMessages the most events in one batch, 1 or more
     * @param maxAwait how long to wait after the first event of a batch for more, 0 or more and at
     *     most {@link Integer#MAX_VALUE} milliseconds (0 hands over what is there at once)
     * @return this builder
     */
    public Builder bulk(int maxMessages, Duration maxAwait) {
      Objects.requireNonNull(maxAwait, "maxAwait");
      if (maxMessages < 1) {
        throw new IllegalArgumentException(
            "bulk maxMessagesCount must be at least 1, got " + maxMessages);
      }
      if (maxAwait.isNegative() || maxAwait.compareTo(MAX_DELAY) > 0) {
        throw new IllegalArgumentException(
            "bulk maxAwaitDuration must be between 0 and " + MAX_DELAY + ", got " + maxAwait);
      }
      this.bulkMaxMessages = maxMessages;
      this.bulkMaxAwait = maxAwait;
      return this;
    }

    /**
     * Pauses the subscription while the app it delivers to is unhealthy: no message is pulled (they
     * stay in the broker, none counted as a delivery), and delivery resumes when the app is healthy
     * again. A message already pulled when the app turns unhealthy is still delivered.
     *
     * @param health the app's health, asked before every pull
     * @return this builder
     */
    public Builder pauseWhileUnhealthy(AppHealth health) {
      this.appHealth = Objects.requireNonNull(health, "appHealth");
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the options
     */
    public SubscriptionOptions build() {
      return new SubscriptionOptions(this);
    }
  }
}
