package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1.0/healthz} as daprd answers it: 500 {@code ERR_HEALTH_NOT_READY} until the app's
 * subscriptions are started, so an event published once the runtime is healthy reaches the app;
 * {@code /v1.0/healthz/outbound} is healthy as soon as the components are loaded.
 */
class HealthReadinessTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private HttpServer app;
  private Pillion runtime;
  private PillionServer server;
  private final CountDownLatch subscribeAnswered = new CountDownLatch(1);
  private final CountDownLatch releaseSubscribe = new CountDownLatch(1);
  private final BlockingQueue<String> received = new LinkedBlockingQueue<>();

  @AfterEach
  void stop() {
    releaseSubscribe.countDown();
    if (server != null) {
      server.close();
    }
    if (runtime != null) {
      runtime.close();
    }
    if (app != null) {
      app.stop(0);
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** An app whose {@code /dapr/subscribe} answers only once the test releases it. */
  private void startApp(int port) throws Exception {
    app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    app.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    app.createContext(
        "/dapr/subscribe",
        exchange -> {
          subscribeAnswered.countDown();
          try {
            releaseSubscribe.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          byte[] body =
              "[{\"pubsubname\":\"pubsub\",\"topic\":\"orders\",\"route\":\"/orders\"}]"
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    app.createContext(
        "/orders",
        exchange -> {
          received.add(
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    app.start();
  }

  private void assertNotReady(String waitingFor) throws Exception {
    HttpResponse<String> health = get("/v1.0/healthz");
    assertThat(health.statusCode()).as(health.body()).isEqualTo(500);
    JsonNode error = JSON.readTree(health.body());
    assertThat(error.path("errorCode").asText()).isEqualTo("ERR_HEALTH_NOT_READY");
    assertThat(error.path("message").asText()).startsWith("dapr is not ready").contains(waitingFor);
    assertThat(get("/v1.0/healthz/outbound").statusCode()).isEqualTo(204);
  }

  @Test
  void healthyOnlyOnceTheAppsSubscriptionsAreStarted() throws Exception {
    int appPort = freePort();
    runtime =
        Pillion.builder()
            .appId("order-processor")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    server =
        PillionServer.builder()
            .runtime(runtime)
            .httpPort(0)
            .grpcPort(0)
            .appPort(appPort)
            .build()
            .start();
    // The app is not listening yet (pillion run starts it after the runtime).
    assertNotReady("the app on port " + appPort + " to accept connections");

    startApp(appPort);
    assertThat(subscribeAnswered.await(20, TimeUnit.SECONDS)).isTrue();
    assertNotReady("the app's subscriptions (GET /dapr/subscribe on port " + appPort + ")");

    releaseSubscribe.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int status = get("/v1.0/healthz").statusCode();
    while (status != 204 && System.nanoTime() < deadline) {
      Thread.sleep(5);
      status = get("/v1.0/healthz").statusCode();
    }
    assertThat(status).isEqualTo(204);
    // Healthy means subscribed: a publish right now reaches the app.
    HttpResponse<String> published =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + server.httpPort() + "/v1.0/publish/pubsub/orders"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":1}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(published.statusCode()).isEqualTo(204);
    String event = received.poll(20, TimeUnit.SECONDS);
    assertThat(event).isNotNull();
    assertThat(JSON.readTree(event).path("data").path("orderId").asInt()).isEqualTo(1);
  }

  @Test
  void withoutAnAppTheRuntimeIsHealthyAtOnce() throws Exception {
    runtime =
        Pillion.builder()
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
    assertThat(get("/v1.0/healthz").statusCode()).isEqualTo(204);
    assertThat(get("/v1.0/healthz/outbound").statusCode()).isEqualTo(204);
  }
}
