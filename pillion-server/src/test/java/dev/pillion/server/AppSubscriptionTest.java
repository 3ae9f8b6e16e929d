package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.config.Properties;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Server mode with an app, as daprd runs it: the app (a small JDK HTTP server) declares its
 * subscriptions in {@code GET /dapr/subscribe}; events published with the Dapr Java SDK arrive as
 * CloudEvents POSTed to its routes; its answers (status RETRY, 404) drive redelivery and drops; the
 * metadata API lists the subscriptions.
 */
class AppSubscriptionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private HttpServer app;
  private Pillion runtime;
  private PillionServer server;
  private DaprClient client;
  private final BlockingQueue<JsonNode> orders = new LinkedBlockingQueue<>();
  private final BlockingQueue<JsonNode> vip = new LinkedBlockingQueue<>();
  private final AtomicInteger retriesLeft = new AtomicInteger(1);
  private final BlockingQueue<String> notFound = new LinkedBlockingQueue<>();

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
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
                200,
                "[{\"pubsubname\":\"pubsub\",\"topic\":\"orders\",\"routes\":{\"rules\":[{\"match\":"
                    + "\"event.data.vip == true\",\"path\":\"/vip\"}],\"default\":\"/orders\"}},"
                    + "{\"pubsubname\":\"pubsub\",\"topic\":\"gone\",\"route\":\"/missing\"}]"));
    app.createContext(
        "/orders",
        exchange -> {
          JsonNode event = JSON.readTree(exchange.getRequestBody().readAllBytes());
          assertThat(exchange.getRequestHeaders().getFirst("Content-Type"))
              .isEqualTo("application/cloudevents+json");
          if (retriesLeft.getAndDecrement() > 0) {
            answer(exchange, 200, "{\"status\":\"RETRY\"}");
            return;
          }
          orders.add(event);
          answer(exchange, 200, "{\"status\":\"SUCCESS\"}");
        });
    app.createContext(
        "/vip",
        exchange -> {
          vip.add(JSON.readTree(exchange.getRequestBody().readAllBytes()));
          answer(exchange, 200, "");
        });
    app.createContext(
        "/missing",
        exchange -> {
          notFound.add(JSON.readTree(exchange.getRequestBody()).path("data").asText());
          answer(exchange, 404, "");
        });
    app.start();
    runtime =
        Pillion.builder()
            .appId("order-app")
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
    client =
        new DaprClientBuilder()
            .withPropertyOverride(Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort())
            .build();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
    runtime.close();
    app.stop(0);
  }

  private void awaitSubscriptions(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (runtime.activeSubscriptions().size() < count && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(runtime.activeSubscriptions()).hasSize(count);
  }

  @Test
  void eventsPublishedWithTheSdkReachTheAppsRoutes() throws Exception {
    awaitSubscriptions(2);
    client.publishEvent("pubsub", "orders", java.util.Map.of("id", 1, "vip", false)).block();
    client.publishEvent("pubsub", "orders", java.util.Map.of("id", 2, "vip", true)).block();

    JsonNode order = orders.poll(20, TimeUnit.SECONDS);
    assertThat(order).as("delivered after one RETRY").isNotNull();
    assertThat(order.path("data").path("id").asInt()).isEqualTo(1);
    assertThat(order.path("source").asText()).isEqualTo("order-app");
    assertThat(order.path("type").asText()).isEqualTo("com.dapr.event.sent");
    assertThat(order.path("pubsubname").asText()).isEqualTo("pubsub");
    JsonNode vipOrder = vip.poll(20, TimeUnit.SECONDS);
    assertThat(vipOrder).as("routed by the CEL rule").isNotNull();
    assertThat(vipOrder.path("data").path("id").asInt()).isEqualTo(2);
    assertThat(retriesLeft.get()).isNegative();
  }

  @Test
  void aRouteAnsweringNotFoundDropsTheEvent() throws Exception {
    awaitSubscriptions(2);
    client.publishEvent("pubsub", "gone", "x").block();
    assertThat(notFound.poll(10, TimeUnit.SECONDS)).isEqualTo("x");
    // The subscription delivers in order: had "x" been retried, it would come before the marker.
    client.publishEvent("pubsub", "gone", "marker").block();
    assertThat(notFound.poll(10, TimeUnit.SECONDS)).isEqualTo("marker");
  }

  @Test
  void metadataListsTheSubscriptions() throws Exception {
    awaitSubscriptions(2);
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.httpPort() + "/v1.0/metadata"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    JsonNode subscriptions = JSON.readTree(response.body()).path("subscriptions");
    assertThat(subscriptions).hasSize(2);
    assertThat(subscriptions.get(0).path("topic").asText()).isEqualTo("orders");
    assertThat(subscriptions.get(0).path("type").asText()).isEqualTo("PROGRAMMATIC");
    assertThat(subscriptions.get(0).path("rules").toString()).contains("/vip").contains("/orders");
    assertThat(client.getMetadata().block().getSubscriptions())
        .extracting(s -> s.getTopic())
        .containsExactlyInAnyOrderElementsOf(List.of("orders", "gone"));
  }
}
