package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;
import java.util.Map;

/**
 * The bytes of a pulled message (a guest's response), read into the {@link Event} a handler gets,
 * then routed by CEL rules: whatever they are, reading gives an event and routing gives a route or
 * none; an exception there would leave the message unacknowledged until its lease expires, again
 * and again.
 *
 * <p>{@code mvn verify} runs the seeds in {@code CloudEventsFuzzTestInputs}; {@code
 * scripts/fuzz.sh} fuzzes (docs/fuzzing.md).
 */
class CloudEventsFuzzTest {
  private static final Routes ROUTES =
      Routes.of(
          List.of(
              Map.entry("event.type == \"order.created\" && event.data.total > 100", "/big"),
              Map.entry("event.data.items.exists(i, i.sku == \"x\")", "/x"),
              Map.entry("has(event.data.nested) && event.data.nested[0] == 1.5", "/nested")),
          "/default",
          "fuzz");

  private static final String[] IDS = {"", "7"};
  private static final String[] ATTRIBUTES = {"id", "data", "traceparent", "missing", ""};

  /**
   * The input is the message's bytes followed by 7 control bytes (FuzzedDataProvider takes them
   * from the end): the attribute's index, the delivery count, the broker id's index and the raw
   * flag.
   */
  @FuzzTest
  void anyMessageBecomesAnEventAndIsRouted(FuzzedDataProvider data) {
    boolean raw = data.consumeBoolean();
    String id = data.pickValue(IDS);
    int deliveryCount = data.consumeInt();
    String attribute = data.pickValue(ATTRIBUTES);
    byte[] message = data.consumeRemainingAsBytes();

    Event event =
        CloudEvents.read(
            message,
            raw,
            id,
            "orders",
            "pubsub",
            raw ? Map.of(CloudEvents.RAW_PAYLOAD, "true") : Map.of(),
            deliveryCount);
    assertThat(event).isNotNull();
    assertThat(event.id()).isNotNull();
    assertThat(event.cloudEvent()).isEqualTo(message);
    event.dataAsString();
    event.attribute(attribute);
    assertThat(ROUTES.select(event)).isPresent();
  }
}
