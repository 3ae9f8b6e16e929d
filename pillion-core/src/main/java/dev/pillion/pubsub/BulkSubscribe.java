package dev.pillion.pubsub;

import java.time.Duration;

/**
 * A declared subscription's {@code bulkSubscribe} settings, as in Dapr's Subscription resource and
 * {@code /dapr/subscribe} answer: whether events reach the app in batches (one request carrying
 * many events, each answered on its own), and how batches are formed.
 *
 * @param enabled whether the subscription is delivered in batches
 * @param maxMessagesCount the most events in one batch (Dapr's default: 100)
 * @param maxAwaitDuration how long to wait after the first event of a batch for it to fill (Dapr's
 *     default: 1 s)
 */
public record BulkSubscribe(boolean enabled, int maxMessagesCount, Duration maxAwaitDuration) {
  /** Dapr's default for {@code maxMessagesCount}. */
  public static final int DEFAULT_MAX_MESSAGES_COUNT = 100;

  /** Dapr's default for {@code maxAwaitDurationMs}. */
  public static final Duration DEFAULT_MAX_AWAIT_DURATION = Duration.ofSeconds(1);

  private static final BulkSubscribe DISABLED =
      new BulkSubscribe(false, DEFAULT_MAX_MESSAGES_COUNT, DEFAULT_MAX_AWAIT_DURATION);

  /** Checks the values. */
  public BulkSubscribe {
    java.util.Objects.requireNonNull(maxAwaitDuration, "maxAwaitDuration");
    if (maxMessagesCount < 1) {
      throw new IllegalArgumentException(
          "bulkSubscribe.maxMessagesCount must be at least 1, got " + maxMessagesCount);
    }
    if (maxAwaitDuration.isNegative()) {
      throw new IllegalArgumentException(
          "bulkSubscribe.maxAwaitDurationMs must not be negative, got " + maxAwaitDuration);
    }
  }

  /**
   * One event per request (the default).
   *
   * @return disabled settings
   */
  public static BulkSubscribe disabled() {
    return DISABLED;
  }

  /**
   * Reads the settings as Dapr declares them: absent or zero values take Dapr's defaults.
   *
   * @param enabled the {@code enabled} flag
   * @param maxMessagesCount {@code maxMessagesCount}, 0 for the default
   * @param maxAwaitDurationMs {@code maxAwaitDurationMs}, 0 for the default
   * @return the settings
   * @throws IllegalArgumentException for a negative value, naming the field
   */
  public static BulkSubscribe of(boolean enabled, long maxMessagesCount, long maxAwaitDurationMs) {
    if (maxMessagesCount < 0 || maxMessagesCount > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "bulkSubscribe.maxMessagesCount must be between 1 and "
              + Integer.MAX_VALUE
              + " (0 or absent for "
              + DEFAULT_MAX_MESSAGES_COUNT
              + "), got "
              + maxMessagesCount);
    }
    if (maxAwaitDurationMs < 0 || maxAwaitDurationMs > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "bulkSubscribe.maxAwaitDurationMs must be between 1 and "
              + Integer.MAX_VALUE
              + " (0 or absent for "
              + DEFAULT_MAX_AWAIT_DURATION.toMillis()
              + "), got "
              + maxAwaitDurationMs);
    }
    return new BulkSubscribe(
        enabled,
        maxMessagesCount == 0 ? DEFAULT_MAX_MESSAGES_COUNT : (int) maxMessagesCount,
        maxAwaitDurationMs == 0
            ? DEFAULT_MAX_AWAIT_DURATION
            : Duration.ofMillis(maxAwaitDurationMs));
  }
}
