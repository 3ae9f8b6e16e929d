package dev.pillion.pubsub;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The CloudEvents 1.0 envelope Dapr wraps published data in (JSON format), and its reading on
 * delivery.
 *
 * <p>Publishing: {@code rawPayload=true} metadata sends the data as is; data that already is a
 * CloudEvent ({@code application/cloudevents+json}) keeps its fields, whatever its {@code
 * specversion} (the Java SDK's examples send {@code "1"}), and gets the missing ones daprd fills
 * ({@code specversion}, {@code source}, {@code type}, {@code time}, {@code traceid} and {@code
 * traceparent}), an {@code id}, and {@code topic} and {@code pubsubname}; anything else becomes
 * {@code data} (JSON content types: the JSON value; text: a string) or {@code data_base64}
 * (binary).
 */
public final class CloudEvents {
  /** The content type of a CloudEvent in JSON format. */
  public static final String CONTENT_TYPE = "application/cloudevents+json";

  /** The type Dapr gives published events. */
  public static final String DAPR_EVENT_TYPE = "com.dapr.event.sent";

  /** Metadata that skips the envelope. */
  public static final String RAW_PAYLOAD = "rawPayload";

  /** The source daprd gives the CloudEvent it wraps a raw payload in for a subscriber. */
  static final String RAW_PAYLOAD_SOURCE = "Dapr";

  /** The content type of bytes of unknown type. */
  static final String OCTET_STREAM = "application/octet-stream";

  private CloudEvents() {}

  /**
   * Whether the metadata asks for a raw payload.
   *
   * @param metadata publish metadata
   * @return true for {@code rawPayload=true}
   */
  public static boolean raw(Map<String, String> metadata) {
    return "true".equalsIgnoreCase(metadata.getOrDefault(RAW_PAYLOAD, ""));
  }

  /**
   * Whether a subscription's metadata asks for raw payloads: {@code rawPayload} read as Go's {@code
   * strconv.ParseBool} reads it, as daprd does (absent or empty: false).
   *
   * @param metadata subscription metadata
   * @return true for {@code 1}, {@code t}, {@code T}, {@code true}, {@code TRUE}, {@code True}
   * @throws IllegalArgumentException when the value is not one of Go's booleans
   */
  public static boolean rawPayloadSetting(Map<String, String> metadata) {
    String value = metadata.getOrDefault(RAW_PAYLOAD, "");
    return switch (value) {
      case "", "0", "f", "F", "false", "FALSE", "False" -> false;
      case "1", "t", "T", "true", "TRUE", "True" -> true;
      default ->
          throw new IllegalArgumentException(
              RAW_PAYLOAD + " must be true or false, got '" + value + "'");
    };
  }

  /**
   * Builds the envelope of a publish without a trace context.
   *
   * @param pubsub the pub/sub component's name
   * @param topic the topic
   * @param source the publisher's app id
   * @param data the data
   * @param contentType the data's content type (empty: JSON if the data parses as JSON, else text)
   * @param now the event time
   * @return the envelope's JSON bytes
   * @throws InvalidPublishException when data claimed to be a CloudEvent is not one
   */
  public static byte[] envelope(
      String pubsub, String topic, String source, byte[] data, String contentType, Instant now) {
    return envelope(pubsub, topic, source, data, contentType, Optional.empty(), now);
  }

  /**
   * Builds the envelope of a publish carrying a trace context.
   *
   * @param pubsub the pub/sub component's name
   * @param topic the topic
   * @param source the publisher's app id
   * @param data the data
   * @param contentType the data's content type (empty: JSON if the data parses as JSON, else text)
   * @param traceparent the W3C trace context
   * @param now the event time
   * @return the envelope's JSON bytes
   * @throws InvalidPublishException when data claimed to be a CloudEvent is not one
   */
  public static byte[] envelope(
      String pubsub,
      String topic,
      String source,
      byte[] data,
      String contentType,
      String traceparent,
      Instant now) {
    return envelope(pubsub, topic, source, data, contentType, Optional.of(traceparent), now);
  }

  private static byte[] envelope(
      String pubsub,
      String topic,
      String source,
      byte[] data,
      String contentType,
      Optional<String> traceparent,
      Instant now) {
    String type = contentType.toLowerCase(Locale.ROOT);
    Map<String, Object> event;
    if (type.startsWith(CONTENT_TYPE)) {
      event = existingEvent(pubsub, data);
    } else {
      event = new LinkedHashMap<>();
      String dataType =
          contentType.isEmpty()
              ? (data.length > 0 && Json.isDocument(data) ? "application/json" : "text/plain")
              : contentType;
      event.put("datacontenttype", dataType);
      if (isJson(dataType)) {
        try {
          event.put("data", Json.parse(data));
        } catch (Json.MalformedJsonException e) {
          throw new InvalidPublishException(
              pubsub,
              "topic '" + topic + "': data is declared " + dataType + " but is not valid JSON");
        }
      } else if (dataType.startsWith("text/")) {
        event.put("data", new String(data, StandardCharsets.UTF_8));
      } else {
        event.put("data_base64", Base64.getEncoder().encodeToString(data));
      }
    }
    putIfMissing(event, "specversion", "1.0");
    putIfMissing(event, "id", UUID.randomUUID().toString());
    putIfMissing(event, "source", source);
    putIfMissing(event, "type", DAPR_EVENT_TYPE);
    putIfMissing(event, "time", DateTimeFormatter.ISO_INSTANT.format(now));
    event.put("topic", topic);
    event.put("pubsubname", pubsub);
    // daprd writes the trace context as traceid (the older name) and traceparent, keeping a
    // traceid the event already has.
    traceparent.ifPresent(
        t -> {
          putIfMissing(event, "traceid", t);
          putIfMissing(event, "traceparent", t);
        });
    return Json.writeBytes(event);
  }

  private static Map<String, Object> existingEvent(String pubsub, byte[] data) {
    Object value;
    try {
      value = Json.parse(data);
    } catch (Json.MalformedJsonException e) {
      throw new InvalidPublishException(
          pubsub, "the data is declared " + CONTENT_TYPE + " but is not valid JSON");
    }
    if (!(value instanceof Map<?, ?>)) {
      throw new InvalidPublishException(
          pubsub, "the data is declared " + CONTENT_TYPE + " but is not a JSON object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> event = (Map<String, Object>) value;
    // Like daprd, any specversion is kept as given: refusing "1" refused the Java SDK's examples.
    return event;
  }

  private static void putIfMissing(Map<String, Object> event, String field, String value) {
    if (Json.text(event.get(field), "").isEmpty()) {
      event.put(field, value);
    }
  }

  private static boolean isJson(String contentType) {
    String type = contentType.toLowerCase(Locale.ROOT);
    return type.startsWith("application/json") || type.contains("+json");
  }

  /**
   * A message's bytes read once: the envelope's top-level fields as a tree, where its {@code data}
   * value lies in the bytes, and whether the bytes are exactly one JSON object. Everything that
   * looks at a delivered event (its data, routing rules, attributes, the app channels) uses this
   * one read.
   *
   * @param tree the top-level fields, or null when the bytes are not a JSON object
   * @param dataStart the offset of the {@code data} value's first byte, or -1 without one
   * @param dataEnd the offset after its last byte, or -1
   * @param wholeObject whether nothing but whitespace follows the object
   */
  record Envelope(Map<String, Object> tree, int dataStart, int dataEnd, boolean wholeObject) {
    private static final Envelope NOT_AN_OBJECT = new Envelope(null, -1, -1, false);

    /**
     * Reads the bytes in one pass: the fields are built as a tree while the offsets of {@code data}
     * are noted, so its JSON text can be sliced out instead of serialised again from the tree.
     */
    static Envelope parse(byte[] bytes) {
      Json.Reader reader = new Json.Reader(bytes);
      try {
        if (!reader.consume('{')) {
          return NOT_AN_OBJECT;
        }
        Map<String, Object> tree = new LinkedHashMap<>();
        int dataStart = -1;
        int dataEnd = -1;
        if (!reader.consume('}')) {
          do {
            String field = reader.fieldName();
            int start = reader.position();
            Object value = reader.value(1);
            if (field.equals("data")) {
              // As the tree keeps the last of duplicate fields, so do the offsets.
              dataStart = start;
              dataEnd = reader.position();
            }
            tree.put(field, value);
          } while (reader.consume(','));
          if (!reader.consume('}')) {
            return NOT_AN_OBJECT;
          }
        }
        reader.skipWhitespace();
        return new Envelope(tree, dataStart, dataEnd, reader.atEnd());
      } catch (Json.MalformedJsonException e) {
        return NOT_AN_OBJECT;
      }
    }

    /** The {@code data} value's JSON text, as it is in the bytes. */
    byte[] dataJson(byte[] bytes) {
      return Arrays.copyOfRange(bytes, dataStart, dataEnd);
    }
  }

  /**
   * Reads a delivered message into an {@link Event}, parsing it once; the event owns {@code
   * message}.
   *
   * @param message the stored bytes (an envelope, or a raw payload), handed over to the event
   * @param raw whether the message was published with {@code rawPayload}
   * @param id the broker's message id (used for raw payloads)
   * @param topic the topic
   * @param pubsub the pub/sub component
   * @param metadata the publish metadata
   * @param deliveryCount which delivery this is
   * @return the event
   */
  static Event read(
      byte[] message,
      boolean raw,
      String id,
      String topic,
      String pubsub,
      Map<String, String> metadata,
      int deliveryCount) {
    Envelope envelope = Envelope.parse(message);
    Map<String, Object> event = envelope.tree();
    if (!raw && event != null && event.containsKey("specversion")) {
      try {
        String contentType = Json.text(event.get("datacontenttype"), "application/json");
        Object value = event.get("data");
        byte[] data;
        if (event.containsKey("data_base64")) {
          data = Base64.getDecoder().decode(Json.text(event.get("data_base64")));
        } else if (value == null || value == Json.NULL) {
          data = new byte[0];
        } else if (value instanceof String text && !isJson(contentType)) {
          data = text.getBytes(StandardCharsets.UTF_8);
        } else {
          data = envelope.dataJson(message);
        }
        return Event.owning(
            Json.text(event.get("id"), id),
            Json.text(event.get("source"), ""),
            Json.text(event.get("type"), ""),
            Json.text(event.get("specversion")),
            contentType,
            data,
            topic,
            pubsub,
            message,
            metadata,
            deliveryCount,
            envelope);
      } catch (IllegalArgumentException e) {
        // Not an envelope after all (data_base64 is not base64): deliver it as raw bytes below.
      }
    }
    return Event.owning(
        id,
        "",
        "",
        "",
        OCTET_STREAM,
        message,
        topic,
        pubsub,
        message,
        metadata,
        deliveryCount,
        envelope);
  }

  /**
   * Wraps a message for a subscription with {@code rawPayload}, as daprd does: a CloudEvent whose
   * {@code data_base64} is the message as published (an envelope too, if it was published as one),
   * {@code datacontenttype: application/octet-stream}, source {@code Dapr}, type {@code
   * com.dapr.event.sent}, the topic and pub/sub, and the trace context the message's metadata
   * carries. daprd gives each delivery a random id; here the id is derived from the pub/sub, topic
   * and broker message id, so a redelivery keeps the id of the first delivery and an app can
   * recognize it.
   *
   * @param payload the message's bytes (copied)
   * @param messageId the broker's message id
   * @param topic the topic
   * @param pubsub the pub/sub component
   * @param metadata the publish metadata
   * @param deliveryCount which delivery this is
   * @return the event, its data the message's bytes and its {@link Event#cloudEvent()} the wrapper
   */
  public static Event fromRawPayload(
      byte[] payload,
      String messageId,
      String topic,
      String pubsub,
      Map<String, String> metadata,
      int deliveryCount) {
    return wrapRawPayload(payload.clone(), messageId, topic, pubsub, metadata, deliveryCount);
  }

  /** {@link #fromRawPayload}, the event owning {@code payload} (the delivery path's own copy). */
  static Event wrapRawPayload(
      byte[] payload,
      String messageId,
      String topic,
      String pubsub,
      Map<String, String> metadata,
      int deliveryCount) {
    String id =
        UUID.nameUUIDFromBytes(
                (pubsub + '\0' + topic + '\0' + messageId).getBytes(StandardCharsets.UTF_8))
            .toString();
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("id", id);
    event.put("specversion", "1.0");
    event.put("datacontenttype", OCTET_STREAM);
    event.put("source", RAW_PAYLOAD_SOURCE);
    event.put("type", DAPR_EVENT_TYPE);
    event.put("topic", topic);
    event.put("pubsubname", pubsub);
    event.put("data_base64", Base64.getEncoder().encodeToString(payload));
    // As daprd: the trace context travels in the metadata; traceparent supersedes traceid.
    String traceparent = metadata.get("traceparent");
    String traceid = traceparent != null ? traceparent : metadata.get("traceid");
    if (traceid != null) {
      event.put("traceid", traceid);
    }
    if (traceparent != null) {
      event.put("traceparent", traceparent);
    }
    if (metadata.containsKey("tracestate")) {
      event.put("tracestate", metadata.get("tracestate"));
    }
    return Event.owning(
        id,
        RAW_PAYLOAD_SOURCE,
        DAPR_EVENT_TYPE,
        "1.0",
        OCTET_STREAM,
        payload,
        topic,
        pubsub,
        Json.writeBytes(event),
        metadata,
        deliveryCount,
        new Envelope(event, -1, -1, true));
  }
}
