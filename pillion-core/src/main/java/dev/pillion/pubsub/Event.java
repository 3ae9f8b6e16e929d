package dev.pillion.pubsub;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * An event delivered to a subscriber: the CloudEvent's attributes, its data, and the delivery's
 * bookkeeping. Immutable.
 *
 * @param id the CloudEvent id
 * @param source the CloudEvent source (the publisher's app id)
 * @param type the CloudEvent type ({@code com.dapr.event.sent} for Dapr publishes)
 * @param specVersion the CloudEvents version ({@code 1.0})
 * @param dataContentType the data's content type
 * @param data the data: JSON text for JSON data, UTF-8 for text, decoded bytes for {@code
 *     data_base64}
 * @param topic the topic
 * @param pubsubName the pub/sub component
 * @param cloudEvent the whole envelope as published (or the raw payload for {@code rawPayload}
 *     messages)
 * @param metadata the publish metadata
 * @param deliveryCount 1 on the first delivery
 */
public record Event(
    String id,
    String source,
    String type,
    String specVersion,
    String dataContentType,
    byte[] data,
    String topic,
    String pubsubName,
    byte[] cloudEvent,
    Map<String, String> metadata,
    int deliveryCount) {

  /** Copies the map. */
  public Event {
    metadata = Map.copyOf(metadata);
  }

  /**
   * The data as UTF-8 text.
   *
   * @return the text
   */
  public String dataAsString() {
    return new String(data, StandardCharsets.UTF_8);
  }

  /**
   * A CloudEvent extension attribute or other top-level field of the envelope, e.g. {@code
   * traceparent}.
   *
   * @param name the attribute
   * @return its text, or empty if absent
   */
  public Optional<String> attribute(String name) {
    return CloudEvents.attribute(cloudEvent, name);
  }
}
