package dev.pillion.pubsub;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The messages of one subscription (consumer group) that failed more deliveries than its retry
 * budget and, having no dead-letter topic, are still being retried. Shared by the runners of the
 * same topic and subscription name in one process, so a message that moves between competing
 * consumers is counted once and leaves the count whichever consumer settles it.
 *
 * <p>An entry that is not seen failing again within its horizon (a few backoff caps plus the
 * handler timeout) is forgotten: another process of the consumer group settled it, or it is waiting
 * for a consumer that went away. A stale entry would otherwise report a stuck message forever; a
 * forgotten one comes back at its next failure.
 *
 * <p>Reports are rate-limited: {@link #failed} says when a warning is due (the first stuck message
 * at once, then at most one report per {@link #REPORT_INTERVAL}), so a message retried every few
 * milliseconds does not flood the log.
 */
final class StuckMessages {
  /** The shortest time between two warnings about the same subscription. */
  static final Duration REPORT_INTERVAL = Duration.ofMinutes(1);

  private final LongSupplier nanoTime;
  private final Map<String, Stuck> messages = new ConcurrentHashMap<>();
  private final Object reportLock = new Object();
  private long lastReport;
  private boolean reported;
  private int newSinceReport;

  StuckMessages() {
    this(System::nanoTime);
  }

  StuckMessages(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /**
   * One stuck message.
   *
   * @param id the broker's message id
   * @param eventId the CloudEvent id the handler sees
   * @param deliveries how many deliveries it has failed
   * @param since when it first exceeded the budget ({@link System#nanoTime()})
   * @param expires when to forget it unless it fails again
   */
  record Stuck(String id, String eventId, long deliveries, long since, long expires) {}

  /**
   * What a report should say: how many are stuck, how many became stuck since the last report, and
   * the one stuck longest.
   *
   * @param count the stuck messages
   * @param newSinceLastReport of those, the ones not yet reported
   * @param oldest the message stuck longest
   * @param oldestFor how long it has been stuck
   */
  record Report(int count, int newSinceLastReport, Stuck oldest, Duration oldestFor) {}

  /**
   * Records that a message failed beyond the budget and will be retried.
   *
   * @param id the broker's message id
   * @param eventId the CloudEvent id
   * @param deliveries the failed deliveries so far
   * @param horizon how long to remember it without another failure
   * @return a report when a warning is due now
   */
  Optional<Report> failed(String id, String eventId, long deliveries, Duration horizon) {
    long now = nanoTime.getAsLong();
    long expires = now + horizon.toNanos();
    Stuck previous = messages.get(id);
    boolean isNew = previous == null;
    messages.put(id, new Stuck(id, eventId, deliveries, isNew ? now : previous.since(), expires));
    synchronized (reportLock) {
      if (isNew) {
        newSinceReport++;
      }
      if (reported && now - lastReport < REPORT_INTERVAL.toNanos()) {
        return Optional.empty();
      }
      reported = true;
      lastReport = now;
      Report report = report(now, newSinceReport);
      newSinceReport = 0;
      return Optional.of(report);
    }
  }

  /**
   * Records that a message was settled (handled, dropped by the handler or dead-lettered).
   *
   * @param id the broker's message id
   * @return the entry if the message was stuck
   */
  Optional<Stuck> settled(String id) {
    return Optional.ofNullable(messages.remove(id));
  }

  /**
   * How many messages are stuck now.
   *
   * @return the count
   */
  int count() {
    forgetExpired(nanoTime.getAsLong());
    return messages.size();
  }

  private Report report(long now, int newOnes) {
    forgetExpired(now);
    Stuck oldest = null;
    for (Stuck stuck : messages.values()) {
      if (oldest == null || stuck.since() - oldest.since() < 0) {
        oldest = stuck;
      }
    }
    // The caller just recorded one, so there is at least one unless its horizon is zero.
    if (oldest == null) {
      return new Report(0, newOnes, null, Duration.ZERO);
    }
    return new Report(messages.size(), newOnes, oldest, Duration.ofNanos(now - oldest.since()));
  }

  private void forgetExpired(long now) {
    messages.values().removeIf(stuck -> now - stuck.expires() > 0);
  }
}
