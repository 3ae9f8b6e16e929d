package dev.pillion.pubsub;

/** What a handler says about an event, as Dapr subscribers answer {@code {"status": ...}}. */
public enum DeliveryResult {
  /** Processed; the message is removed. */
  SUCCESS,
  /** Not processed; deliver again after a backoff, up to the subscription's retry limit. */
  RETRY,
  /** Discard without processing (no retry, no dead letter). */
  DROP
}
