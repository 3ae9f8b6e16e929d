package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The app health check end to end: the app's {@code /healthz} fails, its subscriptions pause and
 * invocations of it fail fast with daprd's error; it recovers, and every event published meanwhile
 * is delivered, once, none dead-lettered; the metadata API reports the check and the health.
 */
class AppHealthCheckTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicBoolean appHealthy = new AtomicBoolean(true);
  private final ConcurrentLinkedQueue<String> orders = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> deadLetters = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pings = new AtomicInteger();
  private final AtomicInteger failedProbes = new AtomicInteger();
  private HttpServer app;
  private Pillion runtime;
  private PillionServer server;

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
    app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext(
        "/dapr/subscribe",
        exchange ->
            answer(
                exchange,
                200,
                "[{\"pubsubname\":\"pubsub\",\"topic\":\"orders\",\"route\":\"/orders\","
                    + "\"deadLetterTopic\":\"dead\"},"
                    + "{\"pubsubname\":\"pubsub\",\"topic\":\"dead\",\"route\":\"/dead\"}]"));
    app.createContext(
        "/orders",
        exchange -> {
          orders.add(JSON.readTree(exchange.getRequestBody().readAllBytes()).path("data").asText());
          answer(exchange, 200, "{\"status\":\"SUCCESS\"}");
        });
    app.createContext(
        "/dead",
        exchange -> {
          deadLetters.add(
              JSON.readTree(exchange.getRequestBody().readAllBytes()).path("data").asText());
          answer(exchange, 200, "{\"status\":\"SUCCESS\"}");
        });
    app.createContext(
        "/ping",
        exchange -> {
          pings.incrementAndGet();
          answer(exchange, 200, "{\"pong\":true}");
        });
    app.createContext(
        "/status",
        exchange -> {
          if (appHealthy.get()) {
            answer(exchange, 200, "");
          } else {
            failedProbes.incrementAndGet();
            answer(exchange, 503, "");
          }
        });
    app.start();
    runtime =
        Pillion.builder()
            .appId("health-app")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    server =
        PillionServer.builder()
            .runtime(runtime)
            .httpPort(0)
            .grpcPort(0)
            .appPort(app.getAddress().getPort())
            .appHealthCheck(true)
            .appHealthCheckPath("/status")
            .appHealthProbeInterval(Duration.ofMillis(100))
            .appHealthProbeTimeout(Duration.ofMillis(400))
            .appHealthThreshold(2)
            .build()
            .start();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    runtime.close();
    app.stop(0);
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode metadata() throws Exception {
    return JSON.readTree(send("GET", "/v1.0/metadata", "").body());
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private String health() {
    try {
      return metadata().path("extended").path("appHealth").asText();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void publish(String data) throws Exception {
    publish("orders", data);
  }

  private void publish(String topic, String data) throws Exception {
    assertThat(send("POST", "/v1.0/publish/pubsub/" + topic, "\"" + data + "\"").statusCode())
        .isEqualTo(204);
  }

  @Test
  void anUnhealthyAppPausesItsSubscriptionsAndRefusesInvocationsUntilItRecovers() throws Exception {
    await("the app healthy", () -> health().equals("healthy"));
    await("subscriptions started", () -> runtime.activeSubscriptions().size() == 2);
    publish("before");
    await("the first event delivered", () -> orders.contains("before"));
    assertThat(send("GET", "/v1.0/invoke/health-app/method/ping", "").statusCode()).isEqualTo(200);

    appHealthy.set(false);
    await("the app unhealthy", () -> health().equals("unhealthy"));
    List<String> published = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      publish("during-" + i);
      published.add("during-" + i);
    }
    long started = System.nanoTime();
    HttpResponse<String> refused = send("GET", "/v1.0/invoke/health-app/method/ping", "");
    long refusedInMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertThat(refused.statusCode()).isEqualTo(500);
    JsonNode error = JSON.readTree(refused.body());
    assertThat(error.path("errorCode").asText()).isEqualTo("ERR_DIRECT_INVOKE");
    assertThat(error.path("message").asText())
        .contains("health-app")
        .contains("app is not in a healthy state");
    assertThat(refusedInMillis).as("failed fast").isLessThan(1000);
    assertThat(pings.get()).as("the unhealthy app was not called").isEqualTo(1);
    // The subscription loops read the checker's verdict before every pull (every 50 ms while
    // paused); three failed probes after the publishes (one every 100 ms) are several passed-up
    // pulls, counted rather than slept for.
    int probes = failedProbes.get();
    await("three more failed probes", () -> failedProbes.get() >= probes + 3);
    assertThat(orders).as("nothing delivered while unhealthy").containsExactly("before");

    appHealthy.set(true);
    await("the app healthy again", () -> health().equals("healthy"));
    await("every event delivered", () -> orders.size() == 11);
    assertThat(orders).containsAll(published).doesNotHaveDuplicates();
    assertThat(send("GET", "/v1.0/invoke/health-app/method/ping", "").statusCode()).isEqualTo(200);
    // Markers published last come next on their topics (delivered in order, concurrency 1): no
    // event was delivered twice, and none had been dead-lettered.
    publish("marker");
    await("the marker delivered", () -> orders.contains("marker"));
    assertThat(orders).hasSize(12).doesNotHaveDuplicates();
    publish("dead", "dead-marker");
    await("the dead-letter marker delivered", () -> deadLetters.contains("dead-marker"));
    assertThat(deadLetters).as("none dead-lettered").containsExactly("dead-marker");
  }

  @Test
  void metadataReportsTheHealthCheckAsDaprdDoes() throws Exception {
    await("the app healthy", () -> health().equals("healthy"));
    JsonNode connection = metadata().path("appConnectionProperties");
    assertThat(connection.path("port").asInt()).isEqualTo(app.getAddress().getPort());
    assertThat(connection.path("protocol").asText()).isEqualTo("http");
    assertThat(connection.path("channelAddress").asText()).isEqualTo("127.0.0.1");
    JsonNode health = connection.path("health");
    assertThat(health.path("healthCheckPath").asText()).isEqualTo("/status");
    assertThat(health.path("healthProbeInterval").asText()).isEqualTo("100ms");
    assertThat(health.path("healthProbeTimeout").asText()).isEqualTo("400ms");
    assertThat(health.path("healthThreshold").asInt()).isEqualTo(2);

    io.grpc.ManagedChannel channel =
        io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort())
            .usePlaintext()
            .build();
    io.dapr.v1.DaprMetadataProtos.GetMetadataResponse grpc;
    try {
      grpc =
          io.dapr.v1.DaprGrpc.newBlockingStub(channel)
              .getMetadata(io.dapr.v1.DaprMetadataProtos.GetMetadataRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow();
    }
    assertThat(grpc.getAppConnectionProperties().getHealth().getHealthCheckPath())
        .isEqualTo("/status");
    assertThat(grpc.getAppConnectionProperties().getHealth().getHealthThreshold()).isEqualTo(2);
    assertThat(grpc.getExtendedMetadataMap()).containsEntry("appHealth", "healthy");
  }

  @Test
  void theHealthCheckNeedsAnAppPort() {
    assertThatThrownBy(() -> PillionServer.builder().runtime(runtime).appHealthCheck(true).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--enable-app-health-check")
        .hasMessageContaining("--app-port");
  }
}
