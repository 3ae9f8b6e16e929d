package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Dapr's HTTP publish routes, single and bulk, and their errors. */
class HttpPublishTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private Pillion runtime;
  private PillionServer server;
  private Subscription subscription;
  private final BlockingQueue<Event> received = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("publisher")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    subscription =
        runtime
            .pubsub("pubsub")
            .subscribe(
                SubscriptionOptions.builder("orders").build(),
                event -> {
                  received.add(event);
                  return DeliveryResult.SUCCESS;
                });
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
  }

  @AfterEach
  void stop() {
    subscription.close();
    server.close();
    runtime.close();
  }

  private HttpResponse<String> post(String path, String body, String contentType) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .timeout(java.time.Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void publishWrapsTheBodyInACloudEvent() throws Exception {
    HttpResponse<String> response =
        post(
            "/v1.0/publish/pubsub/orders?metadata.priority=high", "{\"id\":1}", "application/json");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(204);
    Event event = received.poll(10, TimeUnit.SECONDS);
    assertThat(event).isNotNull();
    assertThat(event.source()).isEqualTo("publisher");
    assertThat(event.dataContentType()).isEqualTo("application/json");
    assertThat(JSON.readTree(event.data())).isEqualTo(JSON.readTree("{\"id\":1}"));
    assertThat(event.metadata()).containsEntry("priority", "high");
  }

  @Test
  void aPublishOverTheBrokersLimitIs429AndPublishesNothing() throws Exception {
    Pillion small =
        Pillion.builder()
            .appId("publisher")
            .component(
                ComponentDefinition.builder("small", "pubsub.in-memory")
                    .metadata("maxBytes", "4096")
                    .build())
            .build();
    Subscription held =
        small
            .pubsub("small")
            .subscribe(
                SubscriptionOptions.builder("held").build(),
                event -> {
                  received.add(event);
                  return DeliveryResult.SUCCESS;
                });
    try (PillionServer smallServer =
        PillionServer.builder().runtime(small).httpPort(0).grpcPort(0).build().start()) {
      HttpResponse<String> refused =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:"
                              + smallServer.httpPort()
                              + "/v1.0/publish/small/held"))
                  .POST(HttpRequest.BodyPublishers.ofString("x".repeat(8192)))
                  .header("Content-Type", "text/plain")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
      assertThat(JSON.readTree(refused.body()).path("errorCode").asText())
          .isEqualTo("ERR_PUBSUB_PUBLISH_MESSAGE");
      assertThat(JSON.readTree(refused.body()).path("message").asText()).contains("maxBytes");
    } finally {
      held.close();
      small.close();
    }
  }

  @Test
  void bulkPublishOnBothRoutes() throws Exception {
    String body =
        "[{\"entryId\":\"1\",\"event\":\"first\",\"contentType\":\"text/plain\"},"
            + "{\"entryId\":\"2\",\"event\":{\"n\":2},\"contentType\":\"application/json\"}]";
    HttpResponse<String> alpha =
        post("/v1.0-alpha1/publish/bulk/pubsub/orders", body, "application/json");
    assertThat(alpha.statusCode()).as(alpha.body()).isEqualTo(200);
    assertThat(JSON.readTree(alpha.body()).path("failedEntries")).isEmpty();
    HttpResponse<String> stable =
        post("/v1.0/publish/bulk/pubsub/orders", body, "application/json");
    assertThat(stable.statusCode()).isEqualTo(200);
    for (int i = 0; i < 4; i++) {
      assertThat(received.poll(10, TimeUnit.SECONDS)).isNotNull();
    }
  }

  @Test
  void bulkEntryIdsMatchInAnyLetterCase() throws Exception {
    HttpResponse<String> response =
        post(
            "/v1.0/publish/bulk/pubsub/orders",
            "[{\"entryID\":\"1\",\"Event\":\"cased\",\"ContentType\":\"text/plain\"}]",
            "application/json");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    Event event = received.poll(10, TimeUnit.SECONDS);
    assertThat(event).isNotNull();
    assertThat(event.dataAsString()).isEqualTo("cased");
  }

  @Test
  void aBulkPublishWithAMissingOrRepeatedEntryIdIs400AndPublishesNothing() throws Exception {
    String[][] cases = {
      {
        "[{\"entryId\":\"a\",\"event\":\"1\"},{\"entryId\":\"a\",\"event\":\"2\"}]",
        "entries[1] has the entryId 'a' of entries[0]"
      },
      {"[{\"entryId\":\"a\",\"event\":\"1\"},{\"event\":\"2\"}]", "entries[1] has no entryId"},
      {"[{\"entryId\":\"\",\"event\":\"1\"}]", "entries[0] has no entryId"},
      {"[{\"entryId\":null,\"event\":\"1\"}]", "entries[0] has no entryId"},
    };
    for (String[] c : cases) {
      HttpResponse<String> response =
          post("/v1.0-alpha1/publish/bulk/pubsub/orders", c[0], "application/json");
      assertThat(response.statusCode()).as(c[0]).isEqualTo(400);
      assertThat(JSON.readTree(response.body()).path("errorCode").asText())
          .isEqualTo("ERR_PUBSUB_EVENTS_SER");
      assertThat(JSON.readTree(response.body()).path("message").asText()).as(c[0]).contains(c[1]);
    }
    assertThat(
            post(
                    "/v1.0/publish/bulk/pubsub/orders",
                    "[{\"entryId\":\"ok\",\"event\":\"good\",\"contentType\":\"text/plain\"}]",
                    "application/json")
                .statusCode())
        .isEqualTo(200);
    Event first = received.poll(10, TimeUnit.SECONDS);
    assertThat(first).isNotNull();
    assertThat(first.dataAsString())
        .as("none of the refused entries was published")
        .isEqualTo("good");
  }

  @Test
  void publishErrorsAsDaprdGivesThem() throws Exception {
    HttpResponse<String> unknown = post("/v1.0/publish/nope/orders", "x", "text/plain");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(unknown.body()).path("errorCode").asText())
        .isEqualTo("ERR_PUBSUB_NOT_FOUND");
    HttpResponse<String> noTopic = post("/v1.0/publish/pubsub", "x", "text/plain");
    assertThat(noTopic.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(noTopic.body()).path("errorCode").asText())
        .isEqualTo("ERR_TOPIC_NAME_EMPTY");
    HttpResponse<String> badEvent =
        post("/v1.0/publish/pubsub/orders", "{not json", "application/cloudevents+json");
    assertThat(badEvent.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(badEvent.body()).path("errorCode").asText())
        .isEqualTo("ERR_PUBSUB_CLOUD_EVENTS_SER");
  }

  @Test
  void bulkEntriesOfTheWrongTypeAre400() throws Exception {
    String[][] cases = {
      {
        "[{\"entryId\":\"1\",\"event\":\"x\",\"contentType\":5}]",
        "[0].contentType must be a string"
      },
      {"[{\"entryId\":1,\"event\":\"x\"}]", "[0].entryId must be a string"},
      {
        "[{\"entryId\":\"1\",\"event\":\"x\",\"metadata\":{\"a\":true}}]",
        "[0].metadata.a must be a string"
      },
      {"[{\"entryId\":\"1\",\"event\":\"x\"}] trailing", "not valid JSON"},
      {"{\"entryId\":\"1\",\"event\":\"x\"}", "the request body must be a JSON array"},
    };
    for (String[] c : cases) {
      HttpResponse<String> response =
          post("/v1.0-alpha1/publish/bulk/pubsub/orders", c[0], "application/json");
      assertThat(response.statusCode()).as(c[0]).isEqualTo(400);
      assertThat(JSON.readTree(response.body()).path("errorCode").asText())
          .isEqualTo("ERR_MALFORMED_REQUEST");
      assertThat(JSON.readTree(response.body()).path("message").asText()).as(c[0]).contains(c[1]);
    }
    // None of them published anything: the first event to arrive is the next valid one.
    assertThat(
            post(
                    "/v1.0-alpha1/publish/bulk/pubsub/orders",
                    "[{\"entryId\":\"ok\",\"event\":\"good\",\"contentType\":\"text/plain\"}]",
                    "application/json")
                .statusCode())
        .isEqualTo(200);
    Event first = received.poll(10, TimeUnit.SECONDS);
    assertThat(first).isNotNull();
    assertThat(first.dataAsString()).isEqualTo("good");
  }
}
