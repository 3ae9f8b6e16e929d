package dev.pillion.pubsub;

import java.util.List;
import java.util.Map;

/**
 * Handles the events of a bulk subscription ({@link PubSub#subscribeBulk}) a batch at a time, and
 * answers each entry on its own, as a Dapr bulk subscriber answers {@code {"statuses": [...]}}.
 *
 * <p>An entry the answer leaves out is not settled: it is retried, like an entry answered {@link
 * DeliveryResult#RETRY} (Dapr does the same). Throwing, returning null or running past the
 * subscription's handler timeout retries the whole batch. Retries follow the subscription's policy
 * entry by entry: backoff, dead-letter topic after {@code maxRetries}, and without one, retries
 * that never give up.
 */
@FunctionalInterface
public interface BulkEventHandler {
  /**
   * Handles one batch.
   *
   * @param entries the events, in the order they were taken from the topic
   * @return the outcome of each entry, by {@link BulkEntry#entryId()}
   * @throws Exception any failure, treated as {@link DeliveryResult#RETRY} for every entry
   */
  Map<String, DeliveryResult> handle(List<BulkEntry> entries) throws Exception;
}
