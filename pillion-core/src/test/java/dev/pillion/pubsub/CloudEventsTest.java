package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The envelope Pillion gives published data, and what it fills into CloudEvents given whole. */
class CloudEventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

  private static JsonNode existing(String event, Optional<String> trace) throws IOException {
    byte[] data = event.getBytes(StandardCharsets.UTF_8);
    return JSON.readTree(
        trace.isPresent()
            ? CloudEvents.envelope(
                "pubsub", "orders", "checkout", data, CloudEvents.CONTENT_TYPE, trace.get(), NOW)
            : CloudEvents.envelope(
                "pubsub", "orders", "checkout", data, CloudEvents.CONTENT_TYPE, NOW));
  }

  @Test
  void anySpecversionIsKeptAsGiven() throws IOException {
    JsonNode event = existing("{\"specversion\":\"1\",\"id\":\"e\",\"data\":1}", Optional.empty());
    assertThat(event.path("specversion").asText()).isEqualTo("1");
    assertThat(existing("{\"specversion\":\"0.3\"}", Optional.empty()).path("specversion").asText())
        .isEqualTo("0.3");
  }

  @Test
  void theFieldsDaprdFillsAreFilledWhenMissing() throws IOException {
    JsonNode event = existing("{\"data\":\"x\",\"specversion\":null}", Optional.of(TRACE));
    assertThat(event.path("specversion").asText()).isEqualTo("1.0");
    assertThat(event.path("id").asText()).isNotEmpty();
    assertThat(event.path("source").asText()).isEqualTo("checkout");
    assertThat(event.path("type").asText()).isEqualTo(CloudEvents.DAPR_EVENT_TYPE);
    assertThat(event.path("time").asText()).isEqualTo("2026-01-02T03:04:05Z");
    assertThat(event.path("topic").asText()).isEqualTo("orders");
    assertThat(event.path("pubsubname").asText()).isEqualTo("pubsub");
    assertThat(event.path("traceid").asText()).isEqualTo(TRACE);
    assertThat(event.path("traceparent").asText()).isEqualTo(TRACE);
    assertThat(event.path("data").asText()).isEqualTo("x");
  }

  @Test
  void fieldsTheEventHasAreKeptButTopicAndPubsubAreThisPublishs() throws IOException {
    JsonNode event =
        existing(
            "{\"specversion\":\"1.0\",\"id\":\"mine\",\"source\":\"elsewhere\",\"type\":\"t\","
                + "\"time\":\"2020-01-01T00:00:00Z\",\"traceid\":\"own\",\"topic\":\"other\","
                + "\"pubsubname\":\"other\"}",
            Optional.of(TRACE));
    assertThat(event.path("id").asText()).isEqualTo("mine");
    assertThat(event.path("source").asText()).isEqualTo("elsewhere");
    assertThat(event.path("type").asText()).isEqualTo("t");
    assertThat(event.path("time").asText()).isEqualTo("2020-01-01T00:00:00Z");
    assertThat(event.path("traceid").asText()).isEqualTo("own");
    assertThat(event.path("topic").asText()).isEqualTo("orders");
    assertThat(event.path("pubsubname").asText()).isEqualTo("pubsub");
  }

  @Test
  void aNewEnvelopeCarriesTheTraceContextAsTraceidAndTraceparent() throws IOException {
    JsonNode event =
        JSON.readTree(
            CloudEvents.envelope(
                "pubsub",
                "orders",
                "checkout",
                "{\"orderId\":1}".getBytes(StandardCharsets.UTF_8),
                "application/json",
                TRACE,
                NOW));
    assertThat(event.path("traceid").asText()).isEqualTo(TRACE);
    assertThat(event.path("traceparent").asText()).isEqualTo(TRACE);
    assertThat(event.path("specversion").asText()).isEqualTo("1.0");
  }
}
