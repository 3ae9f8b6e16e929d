package dev.pillion.pubsub;

import java.util.Objects;

/**
 * One event of a batch handed to a {@link BulkEventHandler}.
 *
 * @param entryId the id the handler answers this entry by: unique within the batch and stable
 *     across redeliveries of the same message to the same subscription
 * @param event the event
 * @param rawPayload whether the subscription reads raw payloads ({@link
 *     SubscriptionOptions#rawPayload()}): the event's data is the message as published. Dapr's bulk
 *     envelope carries such an entry as its bytes in base64 ({@code contentType:
 *     application/octet-stream}) rather than as a CloudEvent.
 */
public record BulkEntry(String entryId, Event event, boolean rawPayload) {
  /** Checks for nulls. */
  public BulkEntry {
    Objects.requireNonNull(entryId, "entryId");
    Objects.requireNonNull(event, "event");
  }
}
