package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.domain.BulkPublishEntry;
import io.dapr.client.domain.BulkPublishRequest;
import io.dapr.client.domain.CloudEvent;
import io.dapr.client.domain.PublishEventRequest;
import io.dapr.config.Properties;
import io.dapr.exceptions.DaprException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the Java SDK's pub/sub examples publish, delivered to a real HTTP subscriber app: a
 * CloudEvent of their own with {@code specversion "1"} and missing fields, and bulk publishes whose
 * entry ids must each be their own.
 */
class SdkPublishToAppTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private HttpServer app;
  private Pillion runtime;
  private PillionServer server;
  private DaprClient client;
  private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext(
        "/dapr/subscribe",
        exchange -> {
          byte[] body =
              "[{\"pubsubName\":\"messagebus\",\"topic\":\"testingtopic\",\"route\":\"/events\"}]"
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    app.createContext(
        "/events",
        exchange -> {
          received.add(JSON.readTree(exchange.getRequestBody().readAllBytes()));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    app.start();
    runtime =
        Pillion.builder()
            .appId("publisher")
            .component(ComponentDefinition.builder("messagebus", "pubsub.in-memory").build())
            .build();
    server =
        PillionServer.builder()
            .runtime(runtime)
            .httpPort(0)
            .grpcPort(0)
            .appPort(app.getAddress().getPort())
            .build()
            .start();
    client =
        new DaprClientBuilder()
            .withPropertyOverride(Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort())
            .build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (runtime.activeSubscriptions().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(runtime.activeSubscriptions()).hasSize(1);
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
    runtime.close();
    app.stop(0);
  }

  @Test
  void aCloudEventWithSpecversionOneIsDeliveredWithTheMissingFieldsFilled() throws Exception {
    // As the SDK's CloudEventPublisher example builds it: no source, no time, specversion "1".
    CloudEvent<String> cloudEvent = new CloudEvent<>();
    cloudEvent.setId("event-1");
    cloudEvent.setType("example");
    cloudEvent.setSpecversion("1");
    cloudEvent.setDatacontenttype("text/plain");
    cloudEvent.setData("This is message #0");
    client
        .publishEvent(
            new PublishEventRequest("messagebus", "testingtopic", cloudEvent)
                .setContentType(CloudEvent.CONTENT_TYPE))
        .block();

    JsonNode event = received.poll(20, TimeUnit.SECONDS);
    assertThat(event).as("delivered").isNotNull();
    assertThat(event.path("specversion").asText()).isEqualTo("1");
    assertThat(event.path("id").asText()).isEqualTo("event-1");
    assertThat(event.path("type").asText()).isEqualTo("example");
    assertThat(event.path("datacontenttype").asText()).isEqualTo("text/plain");
    assertThat(event.path("data").asText()).isEqualTo("This is message #0");
    assertThat(event.path("source").asText()).isEqualTo("publisher");
    assertThat(event.path("time").asText()).isNotEmpty();
    assertThat(event.path("topic").asText()).isEqualTo("testingtopic");
    assertThat(event.path("pubsubname").asText()).isEqualTo("messagebus");
  }

  @Test
  void aBulkPublishWithARepeatedEntryIdDeliversNothing() throws Exception {
    BulkPublishRequest<String> repeated =
        new BulkPublishRequest<>(
            "messagebus",
            "testingtopic",
            List.of(
                new BulkPublishEntry<>("1", "first", "text/plain"),
                new BulkPublishEntry<>("2", "second", "text/plain"),
                new BulkPublishEntry<>("1", "third", "text/plain")));
    assertThatThrownBy(() -> client.publishEvents(repeated).block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("INVALID_ARGUMENT");
              assertThat(e.getMessage()).contains("entries[2] has the entryId '1' of entries[0]");
            });
    BulkPublishRequest<String> distinct =
        new BulkPublishRequest<>(
            "messagebus",
            "testingtopic",
            List.of(
                new BulkPublishEntry<>("1", "fourth", "text/plain"),
                new BulkPublishEntry<>("2", "fifth", "text/plain")));
    assertThat(client.publishEvents(distinct).block().getFailedEntries()).isEmpty();
    List<String> data = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      JsonNode event = received.poll(20, TimeUnit.SECONDS);
      assertThat(event).isNotNull();
      data.add(event.path("data").asText());
    }
    assertThat(data).containsExactlyInAnyOrder("fourth", "fifth");
    // A marker published last is the next event: no entry was delivered twice.
    client.publishEvent("messagebus", "testingtopic", "marker").block();
    JsonNode marker = received.poll(20, TimeUnit.SECONDS);
    assertThat(marker).isNotNull();
    assertThat(marker.path("data").asText()).isEqualTo("marker");
  }
}
