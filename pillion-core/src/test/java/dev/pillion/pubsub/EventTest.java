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
}
