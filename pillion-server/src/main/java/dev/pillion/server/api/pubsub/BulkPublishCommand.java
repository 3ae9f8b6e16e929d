package dev.pillion.server.api.pubsub;

import dev.pillion.pubsub.PubSub;
import java.util.List;
import java.util.Map;

/**
 * A bulk publish as both protocols map it.
 *
 * @param pubsub the pub/sub component's name
 * @param topic the topic
 * @param entries the events
 * @param metadata metadata for every entry
 */
record BulkPublishCommand(
    String pubsub,
    String topic,
    List<PubSub.BulkPublishEntry> entries,
    Map<String, String> metadata) {
  BulkPublishCommand {
    entries = List.copyOf(entries);
    metadata = Map.copyOf(metadata);
  }
}
