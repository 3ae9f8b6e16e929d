package dev.pillion.pubsub;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** One event to publish. Immutable; build with {@link #builder(String, byte[])}. */
public final class PublishRequest {
  private final String topic;
  private final byte[] data;
  private final String contentType;
  private final Map<String, String> metadata;
  private final String traceparent;

  private PublishRequest(Builder builder) {
    this.topic = builder.topic;
    this.data = builder.data;
    this.contentType = builder.contentType;
    this.metadata = Map.copyOf(builder.metadata);
    this.traceparent = builder.traceparent;
  }

  /**
   * A builder.
   *
   * @param topic the topic
   * @param data the data (copied)
   * @return the builder
   */
  public static Builder builder(String topic, byte[] data) {
    return new Builder(topic, data);
  }

  /**
   * A builder for UTF-8 text or JSON.
   *
   * @param topic the topic
   * @param data the text
   * @return the builder
   */
  public static Builder builder(String topic, String data) {
    return new Builder(topic, data.getBytes(StandardCharsets.UTF_8));
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
   * The data.
   *
   * @return a copy
   */
  public byte[] data() {
    return data.clone();
  }

  byte[] dataUnsafe() {
    return data;
  }

  /**
   * The data's content type; empty means JSON if the data parses as JSON, else text.
   *
   * @return the content type, possibly empty
   */
  public String contentType() {
    return contentType;
  }

  /**
   * Publish metadata ({@code rawPayload}, {@code ttlInSeconds}, ...), passed to the component.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * The W3C trace context to put in the envelope.
   *
   * @return the traceparent, or empty
   */
  public Optional<String> traceparent() {
    return Optional.ofNullable(traceparent);
  }

  /** Builds a {@link PublishRequest}. */
  public static final class Builder {
    private final String topic;
    private final byte[] data;
    private String contentType = "";
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private String traceparent;

    private Builder(String topic, byte[] data) {
      this.topic = Objects.requireNonNull(topic, "topic");
      this.data = Objects.requireNonNull(data, "data").clone();
    }

    /**
     * Sets the content type.
     *
     * @param contentType e.g. {@code application/json}, {@code text/plain}, {@code
     *     application/cloudevents+json}
     * @return this builder
     */
    public Builder contentType(String contentType) {
      this.contentType = Objects.requireNonNull(contentType);
      return this;
    }

    /**
     * Adds metadata.
     *
     * @param name the name
     * @param value the value
     * @return this builder
     */
    public Builder metadata(String name, String value) {
      metadata.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
      return this;
    }

    /**
     * Adds metadata entries.
     *
     * @param entries the entries
     * @return this builder
     */
    public Builder metadata(Map<String, String> entries) {
      entries.forEach(this::metadata);
      return this;
    }

    /**
     * Sends the data without a CloudEvent envelope.
     *
     * @return this builder
     */
    public Builder rawPayload() {
      return metadata(CloudEvents.RAW_PAYLOAD, "true");
    }

    /**
     * Sets the W3C trace context.
     *
     * @param traceparent the traceparent header value
     * @return this builder
     */
    public Builder traceparent(String traceparent) {
      this.traceparent = Objects.requireNonNull(traceparent);
      return this;
    }

    /**
     * Builds the request.
     *
     * @return the request
     */
    public PublishRequest build() {
      return new PublishRequest(this);
    }
  }
}
