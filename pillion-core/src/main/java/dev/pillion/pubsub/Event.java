package dev.pillion.pubsub;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * An event delivered to a subscriber: the CloudEvent's attributes, its data, and the delivery's
 * bookkeeping. Immutable: {@link #data()} and {@link #cloudEvent()} return copies; {@link
 * #dataBuffer()} and {@link #cloudEventBuffer()} return read-only views of the same bytes without
 * copying them, for code on the delivery path that only reads them.
 *
 * <p>The runtime reads each delivered message once ({@link CloudEvents}); the event keeps what that
 * read found, so routing rules, {@link #attribute} and the app channels never parse the envelope
 * again.
 */
public final class Event {
  /**
   * JSON's {@code null} in {@link #extensionAttributes()}: an attribute present with the value
   * null, which Java's maps cannot hold as a value. Prints as {@code null}.
   */
  public static final Object JSON_NULL = Json.NULL;

  /**
   * The envelope's fields that are not extensions: the CloudEvent attributes this class reads into
   * accessors of their own ({@link #id()}, {@link #source()}, {@link #type()}, {@link
   * #specVersion()}, {@link #dataContentType()}, the data in either form) and the topic and pub/sub
   * name Dapr adds, which the event has from its subscription.
   */
  private static final Set<String> OWN_ATTRIBUTES =
      Set.of(
          "id",
          "source",
          "type",
          "specversion",
          "datacontenttype",
          "data",
          "data_base64",
          "topic",
          "pubsubname");

  private final String id;
  private final String source;
  private final String type;
  private final String specVersion;
  private final String dataContentType;
  private final byte[] data;
  private final String topic;
  private final String pubsubName;
  private final byte[] cloudEvent;
  private final Map<String, String> metadata;
  private final int deliveryCount;
  private final CloudEvents.Envelope envelope;

  /** Takes ownership of both arrays: callers hand over arrays nobody else holds. */
  private Event(
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
      int deliveryCount,
      CloudEvents.Envelope envelope) {
    this.id = Objects.requireNonNull(id, "id");
    this.source = Objects.requireNonNull(source, "source");
    this.type = Objects.requireNonNull(type, "type");
    this.specVersion = Objects.requireNonNull(specVersion, "specVersion");
    this.dataContentType = Objects.requireNonNull(dataContentType, "dataContentType");
    this.data = Objects.requireNonNull(data, "data");
    this.topic = Objects.requireNonNull(topic, "topic");
    this.pubsubName = Objects.requireNonNull(pubsubName, "pubsubName");
    this.cloudEvent = Objects.requireNonNull(cloudEvent, "cloudEvent");
    this.metadata = Map.copyOf(metadata);
    this.deliveryCount = deliveryCount;
    this.envelope = Objects.requireNonNull(envelope, "envelope");
  }

  /**
   * An event the runtime read from a message, owning {@code data} and {@code cloudEvent} (fresh
   * arrays no one else holds, so nothing is copied on the delivery path).
   */
  static Event owning(
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
      int deliveryCount,
      CloudEvents.Envelope envelope) {
    return new Event(
        id,
        source,
        type,
        specVersion,
        dataContentType,
        data,
        topic,
        pubsubName,
        cloudEvent,
        metadata,
        deliveryCount,
        envelope);
  }

  /**
   * Starts an event, e.g. for testing a handler; the runtime builds the events it delivers itself.
   *
   * @param id the CloudEvent id
   * @param topic the topic
   * @param pubsubName the pub/sub component
   * @return the builder
   */
  public static Builder builder(String id, String topic, String pubsubName) {
    return new Builder(id, topic, pubsubName);
  }

  /**
   * The CloudEvent id.
   *
   * @return the id
   */
  public String id() {
    return id;
  }

  /**
   * The CloudEvent source (the publisher's app id).
   *
   * @return the source
   */
  public String source() {
    return source;
  }

  /**
   * The CloudEvent type ({@code com.dapr.event.sent} for Dapr publishes).
   *
   * @return the type
   */
  public String type() {
    return type;
  }

  /**
   * The CloudEvents version ({@code 1.0}); empty for a message that is not a CloudEvent.
   *
   * @return the version
   */
  public String specVersion() {
    return specVersion;
  }

  /**
   * The data's content type.
   *
   * @return the content type
   */
  public String dataContentType() {
    return dataContentType;
  }

  /**
   * The data: JSON text for JSON data, UTF-8 for text, decoded bytes for {@code data_base64}.
   *
   * @return a copy of the data
   */
  public byte[] data() {
    return data.clone();
  }

  /**
   * The data without a copy.
   *
   * @return a read-only view of the data, positioned at its start
   */
  public ByteBuffer dataBuffer() {
    return ByteBuffer.wrap(data).asReadOnlyBuffer();
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
   * The topic.
   *
   * @return the topic
   */
  public String topic() {
    return topic;
  }

  /**
   * The pub/sub component.
   *
   * @return its name
   */
  public String pubsubName() {
    return pubsubName;
  }

  /**
   * The whole envelope as published (or the raw payload for {@code rawPayload} messages).
   *
   * @return a copy of its bytes
   */
  public byte[] cloudEvent() {
    return cloudEvent.clone();
  }

  /**
   * The envelope without a copy.
   *
   * @return a read-only view of its bytes, positioned at their start
   */
  public ByteBuffer cloudEventBuffer() {
    return ByteBuffer.wrap(cloudEvent).asReadOnlyBuffer();
  }

  /**
   * Whether {@link #cloudEvent()} is exactly one JSON object (nothing before or after it), so it
   * can be embedded in a JSON document as it is.
   *
   * @return true for one JSON object
   */
  public boolean cloudEventIsJsonObject() {
    return envelope.wholeObject();
  }

  /**
   * The publish metadata.
   *
   * @return the metadata
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * Which delivery this is.
   *
   * @return 1 on the first delivery
   */
  public int deliveryCount() {
    return deliveryCount;
  }

  /**
   * A CloudEvent extension attribute or other top-level field of the envelope, e.g. {@code
   * traceparent}.
   *
   * @param name the attribute
   * @return its text (JSON for a value that is not a string), or empty if absent
   */
  public Optional<String> attribute(String name) {
    Object value = envelope.tree() == null ? null : envelope.tree().get(name);
    return value == null || value == Json.NULL
        ? Optional.empty()
        : Optional.of(value instanceof String text ? text : Json.write(value));
  }

  /**
   * The envelope's extension attributes ({@code time}, {@code traceparent}, an application's own):
   * every top-level field except the CloudEvent attributes this event has accessors for ({@code
   * id}, {@code source}, {@code type}, {@code specversion}, {@code datacontenttype}, {@code data},
   * {@code data_base64}) and Dapr's {@code topic} and {@code pubsubname}, in the envelope's order.
   * They come from the one read of the message, not a second parse. Unlike {@link #attribute},
   * values keep their JSON types, so a protocol that carries typed values (the gRPC app channel's
   * {@code extensions} Struct) can pass them on as published: a string is a {@link String}, {@code
   * true}/{@code false} a {@link Boolean}, a number a {@link Number} whose {@code toString()} is
   * the number as written and whose {@code doubleValue()} is what Jackson and Go read, an array an
   * unmodifiable {@code List<Object>}, an object an unmodifiable {@code Map<String, Object>} in
   * document order, and {@code null} the value {@link #JSON_NULL}.
   *
   * @return the attributes, unmodifiable; empty for a message that is not a CloudEvent (no {@link
   *     #specVersion()}) or not a JSON object
   */
  public Map<String, Object> extensionAttributes() {
    Map<String, Object> tree = envelope.tree();
    if (specVersion.isEmpty() || tree == null) {
      return Map.of();
    }
    Map<String, Object> extensions = new LinkedHashMap<>();
    tree.forEach(
        (name, value) -> {
          if (!OWN_ATTRIBUTES.contains(name)) {
            extensions.put(name, unmodifiable(value));
          }
        });
    return Collections.unmodifiableMap(extensions);
  }

  /** A value of the envelope's tree, its maps and lists made unmodifiable (strings etc. are). */
  private static Object unmodifiable(Object value) {
    if (value instanceof Map<?, ?> object) {
      Map<String, Object> copy = new LinkedHashMap<>();
      object.forEach((name, field) -> copy.put((String) name, unmodifiable(field)));
      return Collections.unmodifiableMap(copy);
    }
    if (value instanceof List<?> array) {
      List<Object> copy = new ArrayList<>(array.size());
      array.forEach(element -> copy.add(unmodifiable(element)));
      return Collections.unmodifiableList(copy);
    }
    return value;
  }

  /** The parsed envelope, for routing rules; null when the bytes are not a JSON object. */
  Map<String, Object> envelopeTree() {
    return envelope.tree();
  }

  @Override
  public String toString() {
    return "Event[id="
        + id
        + ", topic="
        + topic
        + ", pubsubName="
        + pubsubName
        + ", dataContentType="
        + dataContentType
        + ", "
        + data.length
        + " bytes, deliveryCount="
        + deliveryCount
        + "]";
  }

  /** Builds an {@link Event}; the arrays given are copied. */
  public static final class Builder {
    private final String id;
    private final String topic;
    private final String pubsubName;
    private String source = "";
    private String type = "";
    private String specVersion = "";
    private String dataContentType = CloudEvents.OCTET_STREAM;
    private byte[] data = new byte[0];
    private byte[] cloudEvent;
    private Map<String, String> metadata = Map.of();
    private int deliveryCount = 1;

    private Builder(String id, String topic, String pubsubName) {
      this.id = Objects.requireNonNull(id, "id");
      this.topic = Objects.requireNonNull(topic, "topic");
      this.pubsubName = Objects.requireNonNull(pubsubName, "pubsubName");
    }

    /**
     * The CloudEvent source (default: empty).
     *
     * @param source the source
     * @return this builder
     */
    public Builder source(String source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * The CloudEvent type (default: empty).
     *
     * @param type the type
     * @return this builder
     */
    public Builder type(String type) {
      this.type = Objects.requireNonNull(type, "type");
      return this;
    }

    /**
     * The CloudEvents version (default: empty, not a CloudEvent).
     *
     * @param specVersion the version
     * @return this builder
     */
    public Builder specVersion(String specVersion) {
      this.specVersion = Objects.requireNonNull(specVersion, "specVersion");
      return this;
    }

    /**
     * The data's content type (default: {@code application/octet-stream}).
     *
     * @param dataContentType the content type
     * @return this builder
     */
    public Builder dataContentType(String dataContentType) {
      this.dataContentType = Objects.requireNonNull(dataContentType, "dataContentType");
      return this;
    }

    /**
     * The data (default: none).
     *
     * @param data the data, copied
     * @return this builder
     */
    public Builder data(byte[] data) {
      this.data = data.clone();
      return this;
    }

    /**
     * The whole envelope (default: the data).
     *
     * @param cloudEvent its bytes, copied
     * @return this builder
     */
    public Builder cloudEvent(byte[] cloudEvent) {
      this.cloudEvent = cloudEvent.clone();
      return this;
    }

    /**
     * The publish metadata (default: none).
     *
     * @param metadata the metadata
     * @return this builder
     */
    public Builder metadata(Map<String, String> metadata) {
      this.metadata = Map.copyOf(metadata);
      return this;
    }

    /**
     * Which delivery this is (default: 1).
     *
     * @param deliveryCount the count
     * @return this builder
     */
    public Builder deliveryCount(int deliveryCount) {
      this.deliveryCount = deliveryCount;
      return this;
    }

    /**
     * Builds the event, reading its envelope once as the runtime does.
     *
     * @return the event
     */
    public Event build() {
      byte[] envelopeBytes = cloudEvent == null ? data.clone() : cloudEvent;
      return new Event(
          id,
          source,
          type,
          specVersion,
          dataContentType,
          data,
          topic,
          pubsubName,
          envelopeBytes,
          metadata,
          deliveryCount,
          CloudEvents.Envelope.parse(envelopeBytes));
    }
  }
}
