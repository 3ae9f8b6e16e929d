package dev.pillion.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.pillion.pubsub.BulkEntry;
import dev.pillion.pubsub.CloudEvents;
import dev.pillion.pubsub.Event;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventBulkRequest;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a gRPC app receives in {@code extensions}: every attribute of the envelope without a field
 * of its own, typed as daprd types them (a protobuf Struct of JSON values), in single and bulk
 * deliveries and for a Wasm app's {@code app_on_topic_event}.
 */
class GrpcAppChannelExtensionsTest {
  private static final String ENVELOPE =
      """
      {"specversion":"1.0","id":"e1","source":"app","type":"com.dapr.event.sent",
       "datacontenttype":"application/json","data":{"n":1},"topic":"t","pubsubname":"ps",
       "traceparent":"00-abc-01","count":42,"big":12345678901234567890,"ratio":1.5,
       "exp":1e2,"negzero":-0,"flag":true,"nothing":null,"nested":{"a":[1,"x",false,null]}}
      """;

  private static Event event(String envelope) {
    byte[] bytes = envelope.getBytes(StandardCharsets.UTF_8);
    return Event.builder("e1", "t", "ps")
        .specVersion("1.0")
        .dataContentType("application/json")
        .data("{\"n\":1}".getBytes(StandardCharsets.UTF_8))
        .cloudEvent(bytes)
        .build();
  }

  private static Value number(double value) {
    return Value.newBuilder().setNumberValue(value).build();
  }

  private static Value text(String value) {
    return Value.newBuilder().setStringValue(value).build();
  }

  private static Value bool(boolean value) {
    return Value.newBuilder().setBoolValue(value).build();
  }

  private static final Value NULL = Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();

  private static Struct expected() {
    return Struct.newBuilder()
        .putFields("traceparent", text("00-abc-01"))
        .putFields("count", number(42))
        .putFields("big", number(12345678901234567890.0))
        .putFields("ratio", number(1.5))
        .putFields("exp", number(100))
        .putFields("negzero", number(0.0))
        .putFields("flag", bool(true))
        .putFields("nothing", NULL)
        .putFields(
            "nested",
            Value.newBuilder()
                .setStructValue(
                    Struct.newBuilder()
                        .putFields(
                            "a",
                            Value.newBuilder()
                                .setListValue(
                                    ListValue.newBuilder()
                                        .addValues(number(1))
                                        .addValues(text("x"))
                                        .addValues(bool(false))
                                        .addValues(NULL))
                                .build()))
                .build())
        .build();
  }

  @Test
  void extensionsKeepTheJsonTypesOfTheAttributes() {
    TopicEventRequest request = GrpcAppChannel.topicEvent("/r", event(ENVELOPE));
    assertThat(request.hasExtensions()).isTrue();
    assertThat(request.getExtensions()).isEqualTo(expected());
    assertThat(
            Double.doubleToRawLongBits(
                request.getExtensions().getFieldsOrThrow("negzero").getNumberValue()))
        .as("an integral -0 is the integer 0, as Jackson and Go read it")
        .isEqualTo(Double.doubleToRawLongBits(0.0));
  }

  @Test
  void aBulkEntryCarriesTheSameExtensions() {
    TopicEventBulkRequest bulk =
        GrpcAppChannel.bulkRequest("/r", List.of(new BulkEntry("1", event(ENVELOPE), false)));
    assertThat(bulk.getEntries(0).getCloudEvent().getExtensions()).isEqualTo(expected());
  }

  @Test
  void anEnvelopeWithOnlyItsOwnAttributesHasEmptyExtensions() {
    TopicEventRequest request =
        GrpcAppChannel.topicEvent(
            "/r",
            event(
                "{\"specversion\":\"1.0\",\"id\":\"e1\",\"source\":\"s\",\"type\":\"t\","
                    + "\"data\":1,\"topic\":\"t\",\"pubsubname\":\"ps\"}"));
    assertThat(request.hasExtensions()).isTrue();
    assertThat(request.getExtensions().getFieldsCount()).isZero();
  }

  @Test
  void aMessageThatIsNotOneJsonObjectHasNoExtensions() {
    assertThat(
            GrpcAppChannel.topicEvent("/r", event("{\"specversion\":\"1.0\",\"x\":1} trailing"))
                .hasExtensions())
        .isFalse();
    Event raw =
        Event.builder("e2", "t", "ps").data("{\"x\":1}".getBytes(StandardCharsets.UTF_8)).build();
    assertThat(GrpcAppChannel.topicEvent("/r", raw).hasExtensions())
        .as("not a CloudEvent (no specversion)")
        .isFalse();
  }

  @Test
  void aRawPayloadWrapperCarriesItsTraceContext() {
    Event wrapped =
        CloudEvents.fromRawPayload(
            new byte[] {1, 2}, "m1", "t", "ps", Map.of("traceparent", "00-def-01"), 1);
    assertThat(GrpcAppChannel.topicEvent("/r", wrapped).getExtensions().getFieldsMap())
        .containsOnlyKeys("traceid", "traceparent")
        .containsEntry("traceparent", text("00-def-01"));
  }
}
