package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Delivery to an HTTP app as daprd does it: the metadata headers of each event, subscriptions with
 * {@code rawPayload}, and bulk subscriptions (the bulk envelope and per-entry statuses).
 */
class AppDeliveryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TRACEPARENT =
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  /** One request the app received. */
  private record Delivery(Headers headers, byte[] body) {
    JsonNode json() throws IOException {
      return JSON.readTree(body);
    }
  }

  private HttpServer app;
  private Pillion runtime;
  private PillionServer server;
  private final HttpClient http = HttpClient.newHttpClient();
  private final Map<String, BlockingQueue<Delivery>> received = new ConcurrentHashMap<>();
  private final List<JsonNode> bulkEnvelopes = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> bulkDeliveries = new ConcurrentHashMap<>();
  private final Set<String> bulkHandled = ConcurrentHashMap.newKeySet();
  private final AtomicInteger emptyAnswersLeft = new AtomicInteger();

  private static void answer(HttpExchange exchange, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }

  private BlockingQueue<Delivery> queue(String route) {
    return received.computeIfAbsent(route, r -> new LinkedBlockingQueue<>());
  }

  private void record(String route) {
    app.createContext(
        route,
        exchange -> {
          queue(route)
              .add(
                  new Delivery(
                      exchange.getRequestHeaders(), exchange.getRequestBody().readAllBytes()));
          answer(exchange, "{\"status\":\"SUCCESS\"}");
        });
  }

  /**
   * The bulk route: the first envelope gets no status for its first entry and RETRY for its second;
   * while {@link #emptyAnswersLeft} is positive the app answers {@code {"statuses": []}} (what the
   * JS SDK answered before Pillion supported bulk); otherwise every entry succeeds.
   */
  private void bulkApp(String route) {
    app.createContext(
        route,
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          queue(route).add(new Delivery(exchange.getRequestHeaders(), body));
          JsonNode envelope = JSON.readTree(body);
          bulkEnvelopes.add(envelope);
          if (emptyAnswersLeft.getAndDecrement() > 0) {
            answer(exchange, "{\"statuses\":[]}");
            return;
          }
          boolean first = bulkEnvelopes.size() == 1;
          ObjectNode answer = JSON.createObjectNode();
          ArrayNode statuses = answer.putArray("statuses");
          int index = 0;
          for (JsonNode entry : envelope.path("entries")) {
            String data = entry.path("event").path("data").asText(entry.path("event").asText());
            bulkDeliveries.computeIfAbsent(data, d -> new AtomicInteger()).incrementAndGet();
            int position = index++;
            if (first && position == 0) {
              continue;
            }
            String status = first && position == 1 ? "RETRY" : "SUCCESS";
            if (status.equals("SUCCESS")) {
              bulkHandled.add(data);
            }
            // Go's encoding/json matches field names ignoring case; so does Pillion.
            statuses
                .addObject()
                .put("EntryID", entry.path("entryId").asText())
                .put("status", status);
          }
          answer(exchange, answer.toString());
        });
  }

  @BeforeEach
  void start() throws IOException {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext(
        "/dapr/subscribe",
        exchange ->
            answer(
                exchange,
                """
                [{"pubsubname":"pubsub","topic":"plain","route":"/plain"},
                 {"pubsubname":"pubsub","topic":"raw","route":"/raw",
                  "metadata":{"rawPayload":"true"}},
                 {"pubsubname":"pubsub","topic":"bulk","route":"/bulk",
                  "bulkSubscribe":{"enabled":true,"maxMessagesCount":10,"maxAwaitDurationMs":200}},
                 {"pubsubname":"pubsub","topic":"bulk-raw","route":"/bulk-raw",
                  "metadata":{"rawPayload":"true"},
                  "bulkSubscribe":{"enabled":true,"maxAwaitDurationMs":50}}]
                """));
    record("/plain");
    record("/raw");
    record("/bulk-raw");
    bulkApp("/bulk");
    app.start();
    runtime =
        Pillion.builder()
            .appId("shop")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    server =
        PillionServer.builder()
            .runtime(runtime)
            .httpPort(0)
            .grpcPort(0)
            .appPort(app.getAddress().getPort())
            .build()
            .start();
    await(() -> runtime.activeSubscriptions().size() == 4, "the app's subscriptions");
  }

  @AfterEach
  void stop() {
    server.close();
    runtime.close();
    app.stop(0);
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  private void publish(String topicAndQuery, String body, String contentType, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + server.httpPort()
                        + "/v1.0/publish/pubsub/"
                        + topicAndQuery))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(204);
  }

  private Delivery next(String route) throws InterruptedException {
    Delivery delivery = queue(route).poll(20, TimeUnit.SECONDS);
    assertThat(delivery).as("a delivery to " + route).isNotNull();
    return delivery;
  }

  @Test
  void theMessagesMetadataTravelsAsHeadersWithThePubsubNameAndTraceContext() throws Exception {
    publish(
        "plain?metadata.tenant=blue&metadata.Priority=high&metadata.grpc-timeout=1S"
            + "&metadata.content-length=5&metadata.connection=close&metadata.bad%20name=x"
            + "&metadata.pubsubname=forged",
        "{\"order\":1}", "application/json", "traceparent", TRACEPARENT);
    Delivery delivery = next("/plain");
    Headers headers = delivery.headers();
    assertThat(headers.getFirst("Content-Type")).isEqualTo("application/cloudevents+json");
    assertThat(headers.get("pubsubname")).containsExactly("pubsub");
    assertThat(headers.getFirst("tenant")).isEqualTo("blue");
    assertThat(headers.getFirst("priority")).isEqualTo("high");
    assertThat(headers.getFirst("dapr-grpc-timeout")).as("daprd's prefix").isEqualTo("1S");
    assertThat(headers.getFirst("traceparent")).isEqualTo(TRACEPARENT);
    assertThat(headers.getFirst("Content-Length"))
        .isEqualTo(Integer.toString(delivery.body().length));
    assertThat(headers.containsKey("bad name")).isFalse();
    assertThat(delivery.json().path("data").path("order").asInt()).isEqualTo(1);
  }

  @Test
  void theTraceContextOfTheCloudEventIsSentWhenTheMetadataHasNone() throws Exception {
    publish(
        "plain",
        "{\"specversion\":\"1.0\",\"id\":\"e-1\",\"source\":\"s\",\"type\":\"t\","
            + "\"traceparent\":\""
            + TRACEPARENT
            + "\",\"tracestate\":\"vendor=1\",\"data\":\"x\"}",
        "application/cloudevents+json");
    Headers headers = next("/plain").headers();
    assertThat(headers.getFirst("traceparent")).isEqualTo(TRACEPARENT);
    assertThat(headers.getFirst("tracestate")).isEqualTo("vendor=1");
    assertThat(headers.getFirst("pubsubname")).isEqualTo("pubsub");
  }

  @Test
  void rawPayloadBothWays() throws Exception {
    // A CloudEvent publish to a raw subscriber: the whole envelope arrives base64-encoded.
    publish("raw?metadata.tenant=blue", "{\"order\":2}", "application/json");
    Delivery wrapped = next("/raw");
    assertThat(wrapped.headers().getFirst("Content-Type"))
        .isEqualTo("application/cloudevents+json");
    assertThat(wrapped.headers().getFirst("tenant")).isEqualTo("blue");
    JsonNode event = wrapped.json();
    assertThat(event.path("datacontenttype").asText()).isEqualTo("application/octet-stream");
    assertThat(event.path("type").asText()).isEqualTo("com.dapr.event.sent");
    assertThat(event.path("source").asText()).isEqualTo("Dapr");
    assertThat(event.path("specversion").asText()).isEqualTo("1.0");
    assertThat(event.path("topic").asText()).isEqualTo("raw");
    assertThat(event.path("pubsubname").asText()).isEqualTo("pubsub");
    assertThat(event.path("id").asText()).isNotEmpty();
    JsonNode envelope =
        JSON.readTree(Base64.getDecoder().decode(event.path("data_base64").asText()));
    assertThat(envelope.path("data").path("order").asInt()).isEqualTo(2);
    assertThat(envelope.path("source").asText()).isEqualTo("shop");

    // A raw publish to a raw subscriber: the bytes as they were published.
    publish("raw?metadata.rawPayload=true", "plain text, no envelope", "text/plain");
    JsonNode raw = next("/raw").json();
    assertThat(
            new String(
                Base64.getDecoder().decode(raw.path("data_base64").asText()),
                StandardCharsets.UTF_8))
        .isEqualTo("plain text, no envelope");

    // A raw publish to a subscriber expecting CloudEvents: a JSON object arrives as it is, as
    // daprd delivers it; other bytes (daprd cannot decode them and retries them for good) arrive
    // wrapped in a CloudEvent.
    publish("plain?metadata.rawPayload=true", "{\"order\":5}", "application/json");
    Delivery object = next("/plain");
    assertThat(object.headers().getFirst("Content-Type")).isEqualTo("application/cloudevents+json");
    assertThat(object.json()).isEqualTo(JSON.readTree("{\"order\":5}"));
    publish("plain?metadata.rawPayload=true", "not a cloud event", "text/plain");
    Delivery text = next("/plain");
    assertThat(text.headers().getFirst("Content-Type")).isEqualTo("application/cloudevents+json");
    assertThat(text.json().path("datacontenttype").asText()).isEqualTo("application/octet-stream");
    assertThat(
            new String(
                Base64.getDecoder().decode(text.json().path("data_base64").asText()),
                StandardCharsets.UTF_8))
        .isEqualTo("not a cloud event");
  }

  @Test
  void bulkSubscriptionsGetTheBulkEnvelopeAndEntriesWithoutAStatusComeBack() throws Exception {
    for (int i = 0; i < 25; i++) {
      publish("bulk?metadata.tenant=blue", "\"event-" + i + "\"", "application/json");
    }
    await(() -> bulkHandled.size() == 25, "every bulk event handled");
    Delivery first = queue("/bulk").peek();
    assertThat(first.headers().getFirst("Content-Type")).isEqualTo("application/json");
    assertThat(first.headers().getFirst("pubsubname")).isEqualTo("pubsub");
    JsonNode envelope = bulkEnvelopes.get(0);
    assertThat(envelope.path("type").asText()).isEqualTo("com.dapr.event.sent.bulk");
    assertThat(envelope.path("topic").asText()).isEqualTo("bulk");
    assertThat(envelope.path("pubsubname").asText()).isEqualTo("pubsub");
    assertThat(envelope.path("id").asText()).isNotEmpty();
    assertThat(envelope.path("metadata").path("pubsubName").asText()).isEqualTo("pubsub");
    JsonNode entry = envelope.path("entries").get(0);
    assertThat(entry.path("entryId").asText()).isNotEmpty();
    assertThat(entry.path("contentType").asText()).isEqualTo("application/cloudevents+json");
    assertThat(entry.path("event").path("specversion").asText()).isEqualTo("1.0");
    assertThat(entry.path("event").path("topic").asText()).isEqualTo("bulk");
    assertThat(entry.path("metadata").path("tenant").asText()).isEqualTo("blue");
    assertThat(bulkEnvelopes)
        .allSatisfy(e -> assertThat(e.path("entries").size()).isBetween(1, 10));
    List<String> ids = new ArrayList<>();
    bulkEnvelopes.forEach(e -> e.path("entries").forEach(x -> ids.add(x.path("entryId").asText())));
    String unanswered = envelope.path("entries").get(0).path("event").path("data").asText();
    String retried = envelope.path("entries").get(1).path("event").path("data").asText();
    assertThat(bulkDeliveries.get(unanswered).get()).as("no status: delivered again").isEqualTo(2);
    assertThat(bulkDeliveries.get(retried).get()).as("RETRY: delivered again").isEqualTo(2);
    assertThat(bulkDeliveries.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(27);
    assertThat(ids).hasSize(27);
  }

  @Test
  void anEmptyStatusListLosesNothing() throws Exception {
    emptyAnswersLeft.set(2);
    for (int i = 0; i < 3; i++) {
      publish("bulk", "\"kept-" + i + "\"", "application/json");
    }
    await(() -> bulkHandled.size() == 3, "the events answered with no status, delivered again");
    assertThat(bulkEnvelopes.size()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void aRawBulkSubscriptionGetsBase64Entries() throws Exception {
    publish("bulk-raw", "{\"order\":3}", "application/json");
    publish("bulk-raw?metadata.rawPayload=true", "raw bytes", "text/plain");
    List<JsonNode> entries = new ArrayList<>();
    while (entries.size() < 2) {
      next("/bulk-raw").json().path("entries").forEach(entries::add);
    }
    assertThat(entries)
        .allSatisfy(
            e -> assertThat(e.path("contentType").asText()).isEqualTo("application/octet-stream"));
    JsonNode envelope =
        JSON.readTree(Base64.getDecoder().decode(entries.get(0).path("event").asText()));
    assertThat(envelope.path("data").path("order").asInt()).isEqualTo(3);
    assertThat(
            new String(
                Base64.getDecoder().decode(entries.get(1).path("event").asText()),
                StandardCharsets.UTF_8))
        .isEqualTo("raw bytes");
  }
}
