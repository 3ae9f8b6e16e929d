package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Events are immutable, and what a delivery reads of a message it reads once. */
class EventTest {

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** A message as a delivery reads it, for a subscription without rawPayload. */
  private static Event delivered(byte[] message, boolean publishedRaw) {
    return CloudEvents.read(message, publishedRaw, "m", "t", "p", Map.of(), 1);
  }

  private static Event delivered(String message) {
    return delivered(utf8(message), false);
  }

  @Test
  void theArraysHandedOutAreCopies() {
    byte[] data = utf8("hello");
    Event event = Event.builder("1", "orders", "pubsub").data(data).build();
    data[0] = 'j';
    assertThat(event.dataAsString()).as("the builder copies its input").isEqualTo("hello");

    event.data()[0] = 'j';
    event.cloudEvent()[0] = 'j';
    assertThat(event.dataAsString()).isEqualTo("hello");
    assertThat(new String(event.cloudEvent(), StandardCharsets.UTF_8)).isEqualTo("hello");
  }

  @Test
  void theBuffersAreReadOnlyViews() {
    Event event = Event.builder("1", "orders", "pubsub").data(utf8("hello")).build();
    ByteBuffer data = event.dataBuffer();
    assertThat(data.isReadOnly()).isTrue();
    assertThatThrownBy(() -> data.put(0, (byte) 'j')).isInstanceOf(ReadOnlyBufferException.class);
    assertThat(StandardCharsets.UTF_8.decode(data).toString()).isEqualTo("hello");
    assertThat(event.dataBuffer().remaining()).as("each call a fresh view").isEqualTo(5);
    assertThat(event.cloudEventBuffer().isReadOnly()).isTrue();
  }

  @Test
  void jsonDataIsSlicedFromTheMessageNotSerialisedAgain() {
    // A CloudEvent stored by another publisher: its data's JSON text is delivered as it was
    // written. Serialised again from a tree, 1.50 became 1.5 and the spacing was lost.
    byte[] message =
        utf8(
            "{\"specversion\":\"1.0\",\"id\":\"e1\",\"datacontenttype\":\"application/json\","
                + "\"data\": {\"price\": 1.50, \"tags\": [\"a\", \"b\"]} ,\"traceparent\":\"00-t\"}");
    Event event = CloudEvents.read(message, false, "broker-1", "orders", "pubsub", Map.of(), 1);

    assertThat(event.id()).isEqualTo("e1");
    assertThat(event.dataAsString()).isEqualTo("{\"price\": 1.50, \"tags\": [\"a\", \"b\"]}");
    assertThat(event.attribute("traceparent")).contains("00-t");
    assertThat(event.cloudEventIsJsonObject()).isTrue();
  }

  @Test
  void scalarDataIsSlicedExactly() {
    for (String value : List.of("42", "-1.5e3", "true", "\"text\"", "[]", "{}")) {
      byte[] message = utf8("{\"specversion\":\"1.0\",\"data\":" + value + ",\"id\":\"x\"}");
      Event event = delivered(message, false);
      assertThat(event.dataAsString()).as(value).isEqualTo(value);
    }
    Event last = delivered("{\"specversion\":\"1.0\",\"data\":1,\"data\":  2  }");
    assertThat(last.dataAsString())
        .as("the last of duplicate fields, as a tree keeps")
        .isEqualTo("2");
  }

  @Test
  void routingAndAttributesUseTheEnvelopeReadOnDelivery() {
    // The event's bytes are not JSON at all; only the carried envelope says what it is. Anything
    // that parsed the bytes again would see no fields.
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("type", "order.created");
    tree.put("traceparent", "00-x");
    Event event =
        Event.owning(
            "1",
            "",
            "order.created",
            "1.0",
            "application/json",
            utf8("{}"),
            "orders",
            "pubsub",
            utf8("not json"),
            Map.of(),
            1,
            new CloudEvents.Envelope(tree, -1, -1, true));

    assertThat(event.attribute("traceparent")).contains("00-x");
    Routes routes =
        Routes.of(
            List.of(Map.entry("event.type == \"order.created\"", "/created")), "/other", "test");
    assertThat(routes.select(event)).contains("/created");
  }

  @Test
  void aMessageThatIsNotOneJsonObjectSaysSo() {
    Event trailing = delivered("{\"specversion\":\"1.0\",\"data\":1} trailing");
    assertThat(trailing.specVersion()).isEqualTo("1.0");
    assertThat(trailing.cloudEventIsJsonObject()).isFalse();
    Event binary = delivered(new byte[] {0, 1, 2}, false);
    assertThat(binary.specVersion()).isEmpty();
    assertThat(binary.cloudEventIsJsonObject()).isFalse();
    assertThat(binary.attribute("id")).isEmpty();
    Event rawObject = delivered(utf8("{\"orderId\":7}"), true);
    assertThat(rawObject.specVersion()).isEmpty();
    assertThat(rawObject.cloudEventIsJsonObject()).isTrue();
    assertThat(rawObject.attribute("orderId")).contains("7");
  }

  @Test
  void extensionAttributesAreTheEnvelopesOtherFieldsWithTheirJsonTypes() {
    Event event =
        delivered(
            "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"t\","
                + "\"datacontenttype\":\"application/json\",\"data\":{\"a\":1},"
                + "\"topic\":\"orders\",\"pubsubname\":\"ps\",\"traceparent\":\"00-x-01\","
                + "\"price\":1.50,\"big\":12345678901234567890,\"urgent\":true,\"none\":null,"
                + "\"tags\":[\"a\",{\"b\":2}]}");
    Map<String, Object> extensions = event.extensionAttributes();
    assertThat(extensions)
        .as("in the envelope's order, without the attributes that have accessors")
        .containsOnlyKeys("traceparent", "price", "big", "urgent", "none", "tags");
    assertThat(List.copyOf(extensions.keySet()))
        .containsExactly("traceparent", "price", "big", "urgent", "none", "tags");
    assertThat(extensions.get("traceparent")).isEqualTo("00-x-01");
    assertThat(extensions.get("urgent")).isEqualTo(Boolean.TRUE);
    assertThat(extensions.get("none")).isSameAs(Event.JSON_NULL).hasToString("null");
    Number price = (Number) extensions.get("price");
    assertThat(price).as("the number as written, not re-rendered").hasToString("1.50");
    assertThat(price.doubleValue()).isEqualTo(1.5);
    Number big = (Number) extensions.get("big");
    assertThat(big).hasToString("12345678901234567890");
    assertThat(big.doubleValue()).isEqualTo(12345678901234567890.0);
    List<?> tags = (List<?>) extensions.get("tags");
    assertThat(tags).hasSize(2);
    assertThat(tags.get(0)).isEqualTo("a");
    assertThat(tags.get(1)).isEqualTo(Map.of("b", new Json.Number("2")));
    // The same values Event.attribute gives as text.
    assertThat(event.attribute("price")).contains("1.50");
    assertThat(event.attribute("tags")).contains("[\"a\",{\"b\":2}]");
  }

  @Test
  void extensionAttributesCannotBeChanged() {
    Event event = delivered("{\"specversion\":\"1.0\",\"id\":\"1\",\"x\":{\"y\":[1]},\"z\":\"w\"}");
    Map<String, Object> extensions = event.extensionAttributes();
    assertThatThrownBy(() -> extensions.put("z", "changed"))
        .isInstanceOf(UnsupportedOperationException.class);
    @SuppressWarnings("unchecked")
    Map<String, Object> nested = (Map<String, Object>) extensions.get("x");
    assertThatThrownBy(() -> nested.put("y", "changed"))
        .isInstanceOf(UnsupportedOperationException.class);
    @SuppressWarnings("unchecked")
    List<Object> list = (List<Object>) nested.get("y");
    assertThatThrownBy(() -> list.add(2)).isInstanceOf(UnsupportedOperationException.class);
    assertThat(event.extensionAttributes().get("x"))
        .as("nothing reached the event's own read")
        .isEqualTo(Map.of("y", List.of(new Json.Number("1"))));
  }

  @Test
  void aMessageThatIsNotACloudEventHasNoExtensionAttributes() {
    assertThat(delivered("{\"orderId\":7}").extensionAttributes())
        .as("a JSON object without specversion")
        .isEmpty();
    assertThat(delivered("not json").extensionAttributes()).isEmpty();
    Event wrapped =
        CloudEvents.fromRawPayload(utf8("raw"), "m", "t", "p", Map.of("traceparent", "00-y-01"), 1);
    assertThat(wrapped.extensionAttributes())
        .as("the raw-payload wrapper's trace context")
        .containsExactly(Map.entry("traceid", "00-y-01"), Map.entry("traceparent", "00-y-01"));
  }
}
