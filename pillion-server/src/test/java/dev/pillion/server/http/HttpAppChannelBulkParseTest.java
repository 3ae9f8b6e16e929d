package dev.pillion.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.pubsub.BulkEntry;
import dev.pillion.pubsub.BulkSubscribe;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.SubscriptionDefinition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The {@code bulkSubscribe} and {@code rawPayload} settings of an app's /dapr/subscribe answer, and
 * the bulk envelope's entries.
 */
class HttpAppChannelBulkParseTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<SubscriptionDefinition> parse(String json) throws IOException {
    return HttpAppChannel.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void bulkSettingsAndRawPayloadAreRead() throws IOException {
    List<SubscriptionDefinition> subscriptions =
        parse(
            """
            [{"pubsubname":"p","topic":"a","route":"/a",
              "bulkSubscribe":{"enabled":true,"maxMessagesCount":5,"maxAwaitDurationMs":20}},
             {"pubsubname":"p","topic":"b","route":"/b","bulkSubscribe":{"enabled":true},
              "metadata":{"rawPayload":"true"}},
             {"pubsubname":"p","topic":"c","route":"/c","bulkSubscribe":{"enabled":false}},
             {"pubsubname":"p","topic":"d","route":"/d","metadata":{"rawPayload":"False"}}]
            """);
    assertThat(subscriptions.get(0).bulkSubscribe())
        .isEqualTo(new BulkSubscribe(true, 5, Duration.ofMillis(20)));
    assertThat(subscriptions.get(1).bulkSubscribe())
        .isEqualTo(new BulkSubscribe(true, 100, Duration.ofSeconds(1)));
    assertThat(subscriptions.get(1).rawPayload()).isTrue();
    assertThat(subscriptions.get(2).bulkSubscribe().enabled()).isFalse();
    assertThat(subscriptions.get(3).bulkSubscribe()).isEqualTo(BulkSubscribe.disabled());
    assertThat(subscriptions.get(3).rawPayload()).isFalse();
  }

  @Test
  void badSettingsAreErrorsNamingTheEntryAndField() throws IOException {
    String where = "/dapr/subscribe[3]";
    assertThatThrownBy(
            () -> HttpAppChannel.bulkSubscribe(JSON.readTree("{\"enabled\":\"yes\"}"), where))
        .hasMessage(where + ": bulkSubscribe.enabled must be true or false, got \"yes\"");
    assertThatThrownBy(
            () ->
                HttpAppChannel.bulkSubscribe(
                    JSON.readTree("{\"enabled\":true,\"maxMessagesCount\":1.5}"), where))
        .hasMessage(where + ": bulkSubscribe.maxMessagesCount must be a whole number, got 1.5");
    assertThatThrownBy(
            () ->
                HttpAppChannel.bulkSubscribe(
                    JSON.readTree("{\"enabled\":true,\"maxAwaitDurationMs\":-1}"), where))
        .hasMessageStartingWith(where + ": bulkSubscribe.maxAwaitDurationMs must be between 1");
    assertThatThrownBy(() -> HttpAppChannel.bulkSubscribe(JSON.readTree("[true]"), where))
        .hasMessage(where + ": bulkSubscribe must be an object, got [true]");
    // In an app's answer, a bad entry is skipped (logged, naming it); the others still start.
    assertThat(
            parse(
                "[{\"pubsubname\":\"p\",\"topic\":\"a\",\"route\":\"/a\","
                    + "\"metadata\":{\"rawPayload\":\"yes\"}},"
                    + "{\"pubsubname\":\"p\",\"topic\":\"b\",\"route\":\"/b\","
                    + "\"bulkSubscribe\":{\"enabled\":\"yes\"}},"
                    + "{\"pubsubname\":\"p\",\"topic\":\"c\",\"route\":\"/c\"}]"))
        .extracting(SubscriptionDefinition::topic)
        .containsExactly("c");
  }

  private static Event event(String specVersion, String stored) {
    byte[] bytes = stored.getBytes(StandardCharsets.UTF_8);
    return Event.builder("id", "orders", "p")
        .source("s")
        .type("t")
        .specVersion(specVersion)
        .dataContentType("application/json")
        .data(bytes)
        .cloudEvent(bytes)
        .metadata(Map.of("k", "v"))
        .build();
  }

  @Test
  void theEnvelopeIsValidJsonWhateverTheStoredMessage() throws IOException {
    byte[] body =
        HttpAppChannel.bulkEnvelope(
            List.of(
                new BulkEntry("1", event("1.0", "{\"specversion\":\"1.0\",\"data\":1}"), false),
                new BulkEntry("2", event("1.0", "{\"specversion\":\"1.0\"} trailing"), false),
                new BulkEntry("3", event("", "raw bytes"), false),
                new BulkEntry("4", event("1.0", "{\"specversion\":\"1.0\"}"), true)));
    JsonNode envelope = JSON.readTree(body);
    JsonNode entries = envelope.path("entries");
    assertThat(entries).hasSize(4);
    assertThat(entries.get(0).path("event").path("data").asInt()).isEqualTo(1);
    assertThat(entries.get(0).path("contentType").asText())
        .isEqualTo("application/cloudevents+json");
    assertThat(entries.get(0).path("metadata").path("k").asText()).isEqualTo("v");
    for (int i = 1; i < 4; i++) {
      assertThat(entries.get(i).path("contentType").asText())
          .as("entry %d", i)
          .isEqualTo("application/octet-stream");
      assertThat(entries.get(i).path("event").isTextual()).isTrue();
    }
    assertThat(
            new String(
                Base64.getDecoder().decode(entries.get(2).path("event").asText()),
                StandardCharsets.UTF_8))
        .isEqualTo("raw bytes");
    assertThat(envelope.path("type").asText()).isEqualTo("com.dapr.event.sent.bulk");
  }
}
