package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code appMaxConcurrency} ({@code --app-max-concurrency}): an app subscribed to several topics
 * gets one delivery per subscription at once without it, and never more than the limit with it. The
 * app serves each request on its own thread and takes a while per event, so concurrent deliveries
 * overlap.
 */
class AppMaxConcurrencyTest {
  private static final String[] TOPICS = {"a", "b", "c", "d"};
  private static final int EVENTS_PER_TOPIC = 2;
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger mostInFlight = new AtomicInteger();
  private final AtomicInteger delivered = new AtomicInteger();
  private ExecutorService appThreads;
  private HttpServer app;
  private volatile boolean bulk;

  @BeforeEach
  void startTheApp() throws IOException {
    appThreads = Executors.newCachedThreadPool();
    app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.setExecutor(appThreads);
    StringBuilder subscriptions = new StringBuilder("[");
    for (String topic : TOPICS) {
      subscriptions
          .append(subscriptions.length() > 1 ? "," : "")
          .append("{\"pubsubname\":\"pubsub\",\"topic\":\"")
          .append(topic)
          .append("\",\"route\":\"/events\"}");
    }
    String plain = subscriptions.append(']').toString();
    app.createContext(
        "/dapr/subscribe",
        exchange -> {
          byte[] body =
              (bulk
                      ? plain.replace("\"route\"", "\"bulkSubscribe\":{\"enabled\":true},\"route\"")
                      : plain)
                  .getBytes();
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    app.createContext(
        "/events",
        exchange -> {
          int now = inFlight.incrementAndGet();
          mostInFlight.accumulateAndGet(now, Math::max);
          byte[] request = exchange.getRequestBody().readAllBytes();
          try {
            Thread.sleep(200);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            inFlight.decrementAndGet();
          }
          if (!bulk) {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            delivered.incrementAndGet();
            return;
          }
          // A bulk envelope: every entry answered SUCCESS.
          com.fasterxml.jackson.databind.node.ArrayNode statuses = JSON.createArrayNode();
          for (com.fasterxml.jackson.databind.JsonNode entry :
              JSON.readTree(request).path("entries")) {
            statuses
                .addObject()
                .put("entryId", entry.path("entryId").asText())
                .put("status", "SUCCESS");
          }
          byte[] answer = JSON.createObjectNode().set("statuses", statuses).toString().getBytes();
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, answer.length);
          exchange.getResponseBody().write(answer);
          exchange.close();
          delivered.addAndGet(statuses.size());
        });
    app.start();
  }

  @AfterEach
  void stopTheApp() {
    app.stop(0);
    appThreads.shutdownNow();
  }

  /** Publishes to every topic once the app's subscriptions run, and waits for every delivery. */
  private int mostConcurrentDeliveries(PillionServer.Builder builder) throws Exception {
    Pillion runtime =
        Pillion.builder()
            .appId("busy")
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    try (PillionServer server =
        builder
            .runtime(runtime)
            .closeRuntime(true)
            .httpPort(0)
            .grpcPort(0)
            .appPort(app.getAddress().getPort())
            .build()
            .start()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (runtime.activeSubscriptions().size() < TOPICS.length && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(runtime.activeSubscriptions()).hasSize(TOPICS.length);
      HttpClient http = HttpClient.newHttpClient();
      for (int i = 0; i < EVENTS_PER_TOPIC; i++) {
        for (String topic : TOPICS) {
          HttpRequest publish =
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:"
                              + server.httpPort()
                              + "/v1.0/publish/pubsub/"
                              + topic))
                  .POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + i + "}"))
                  .header("Content-Type", "application/json")
                  .build();
          assertThat(http.send(publish, HttpResponse.BodyHandlers.discarding()).statusCode())
              .isEqualTo(204);
        }
      }
      int expected = TOPICS.length * EVENTS_PER_TOPIC;
      while (delivered.get() < expected && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(delivered.get()).isEqualTo(expected);
    }
    return mostInFlight.get();
  }

  @Test
  void withoutALimitEachSubscriptionDeliversAtTheSameTime() throws Exception {
    assertThat(mostConcurrentDeliveries(PillionServer.builder())).isGreaterThan(2);
  }

  @Test
  void theLimitBoundsDeliveriesAcrossSubscriptions() throws Exception {
    assertThat(mostConcurrentDeliveries(PillionServer.builder().appMaxConcurrency(2))).isEqualTo(2);
  }

  @Test
  void aLimitOfOneDeliversOneEventAtATime() throws Exception {
    assertThat(mostConcurrentDeliveries(PillionServer.builder().appMaxConcurrency(1))).isEqualTo(1);
  }

  @Test
  void aBulkBatchTakesOneSlotOfTheLimit() throws Exception {
    bulk = true;
    assertThat(mostConcurrentDeliveries(PillionServer.builder().appMaxConcurrency(1))).isEqualTo(1);
  }

  @Test
  void withoutALimitBulkBatchesOfEachSubscriptionOverlap() throws Exception {
    bulk = true;
    assertThat(mostConcurrentDeliveries(PillionServer.builder())).isGreaterThan(1);
  }
}
