package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.domain.CloudEvent;
import io.dapr.config.Properties;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An app's {@code GET /dapr/subscribe} answer read as daprd reads it: keys in any letter case (the
 * Java SDK's Spring integration sends {@code pubsubName}), and one bad entry skipped with one ERROR
 * line while the others, and the declared subscriptions, start.
 */
class AppSubscribeAnswerTest {
  private static final String PUBSUB_YAML =
      "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: orderpubsub\n"
          + "spec:\n  type: pubsub.in-memory\n  version: v1\n";
  private static final String DECLARED_YAML =
      "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: audit\n"
          + "spec:\n  pubsubname: orderpubsub\n  topic: audit\n  routes:\n    default: /audit\n";

  @TempDir Path resources;
  private HttpServer app;
  private Pillion runtime;
  private PillionServer server;
  private DaprClient client;
  private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final List<Logger> loggers =
      List.of(
          Logger.getLogger("dev.pillion.server.http.HttpAppChannel"),
          Logger.getLogger("dev.pillion.Pillion"),
          // Subscriptions that cannot start are reported by the pub/sub block since issue 10.
          Logger.getLogger("dev.pillion.pubsub.DeclaredSubscriptions"),
          Logger.getLogger("dev.pillion.server.PillionServer"));
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          logged.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void captureLogs() {
    loggers.forEach(logger -> logger.addHandler(capture));
  }

  @AfterEach
  void stop() throws Exception {
    loggers.forEach(logger -> logger.removeHandler(capture));
    if (client != null) {
      client.close();
    }
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

  private static void answer(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }

  /** Starts an app answering {@code subscribeAnswer}; each route records what it receives. */
  private void startApp(String subscribeAnswer, String... routes) throws IOException {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext("/dapr/subscribe", exchange -> answer(exchange, 200, subscribeAnswer));
    for (String route : routes) {
      app.createContext(
          route,
          exchange -> {
            // The Java SDK's own CloudEvent type reads the delivered event, as a Spring app would.
            CloudEvent<?> event = CloudEvent.deserialize(exchange.getRequestBody().readAllBytes());
            received.add(route + " " + event.getTopic() + " " + event.getData());
            answer(exchange, 200, "{\"Status\":\"SUCCESS\"}");
          });
    }
    app.start();
  }

  private void startRuntime() throws IOException {
    Files.writeString(resources.resolve("pubsub.yaml"), PUBSUB_YAML);
    Files.writeString(resources.resolve("audit.yaml"), DECLARED_YAML);
    runtime = Pillion.builder().resourcesPath(resources).appId("order-processor").build();
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

  /**
   * Waits for the runtime to be ready, which it is once every subscription (the app's and the
   * declared ones) has started, so the count is final when checked.
   */
  private void awaitSubscriptions(int count) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest health =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.httpPort() + "/v1.0/healthz"))
            .build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() != 204
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode())
        .as("ready")
        .isEqualTo(204);
    assertThat(runtime.activeSubscriptions()).hasSize(count);
  }

  private List<LogRecord> errors() {
    return logged.stream().filter(r -> r.getLevel() == Level.SEVERE).toList();
  }

  @Test
  void springStyleSubscriptionsWithPubsubNameReceiveEventsPublishedWithTheSdk() throws Exception {
    // Exactly what the Java SDK's Spring integration (DaprTopicSubscription) answers for
    // @Topic(name = "orders", pubsubName = "orderpubsub") @PostMapping("/orders").
    startApp(
        "[{\"pubsubName\":\"orderpubsub\",\"topic\":\"orders\",\"route\":\"/orders\","
            + "\"deadLetterTopic\":\"\",\"metadata\":{}}]",
        "/orders",
        "/audit");
    startRuntime();
    awaitSubscriptions(2);
    for (int i = 1; i <= 3; i++) {
      client.publishEvent("orderpubsub", "orders", Map.of("orderId", i)).block();
    }
    client.publishEvent("orderpubsub", "audit", "checked").block();
    List<String> events = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String event = received.poll(20, TimeUnit.SECONDS);
      assertThat(event).as("event %d of 4, after %s", i + 1, events).isNotNull();
      events.add(event);
    }
    assertThat(events)
        .containsExactlyInAnyOrder(
            "/orders orders {orderId=1}",
            "/orders orders {orderId=2}",
            "/orders orders {orderId=3}",
            "/audit audit checked");
    assertThat(errors()).isEmpty();
  }

  @Test
  void aBadEntryIsSkippedWithOneErrorLineAndTheOthersStart() throws Exception {
    startApp(
        "[{\"pubsubname\":\"orderpubsub\",\"topic\":\"orders\",\"route\":\"/orders\"},"
            + "{\"pubsubname\":\"orderpubsub\",\"topic\":\"typed\",\"route\":\"/typed\","
            + "\"metadata\":{\"rawPayload\":true}},"
            + "{\"pubsubName\":\"orderpubsub\"},"
            + "{\"pubsubname\":\"orderpubsub\",\"topic\":\"cel\",\"routes\":{\"rules\":"
            + "[{\"match\":\"event.type ==\",\"path\":\"/x\"}]}},"
            + "{\"pubsubname\":\"nope\",\"topic\":\"elsewhere\",\"route\":\"/elsewhere\"},"
            + "\"not an entry\","
            + "{\"PUBSUBNAME\":\"orderpubsub\",\"Topic\":\"shipments\",\"Routes\":"
            + "{\"Rules\":[{\"Match\":\"event.data.express == true\",\"Path\":\"/express\"}],"
            + "\"Default\":\"/shipments\"}}]",
        "/orders",
        "/audit",
        "/express",
        "/shipments");
    startRuntime();
    // orders, shipments and the declared audit subscription.
    awaitSubscriptions(3);
    assertThat(runtime.activeSubscriptions())
        .extracting(s -> s.topic())
        .containsExactlyInAnyOrder("orders", "shipments", "audit");

    List<String> lines = errors().stream().map(LogRecord::getMessage).toList();
    assertThat(lines).hasSize(5);
    assertThat(lines.get(0))
        .contains("/dapr/subscribe[1]", "pubsub 'orderpubsub'", "topic 'typed'")
        .contains("metadata.rawPayload must be a string, not a boolean");
    assertThat(lines.get(1))
        .contains("/dapr/subscribe[2]", "pubsub 'orderpubsub'", "topic is required");
    assertThat(lines.get(2)).contains("/dapr/subscribe[3]", "topic 'cel'", "routes.rules[0].match");
    assertThat(lines.get(3)).contains("/dapr/subscribe[5]", "must be a JSON object, not a string");
    assertThat(lines.get(4))
        .contains("/dapr/subscribe[4]", "pubsub 'nope'", "topic 'elsewhere'")
        .contains("is not defined (pub/sub components: orderpubsub)");
    assertThat(lines).allSatisfy(line -> assertThat(line).contains("skipped"));
    assertThat(errors()).allSatisfy(record -> assertThat(record.getThrown()).isNull());

    client.publishEvent("orderpubsub", "shipments", Map.of("express", true)).block();
    client.publishEvent("orderpubsub", "shipments", Map.of("express", false)).block();
    client.publishEvent("orderpubsub", "audit", "still declared").block();
    List<String> events = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String event = received.poll(20, TimeUnit.SECONDS);
      assertThat(event).as("event %d of 3, after %s", i + 1, events).isNotNull();
      events.add(event);
    }
    assertThat(events)
        .containsExactlyInAnyOrder(
            "/express shipments {express=true}",
            "/shipments shipments {express=false}",
            "/audit audit still declared");
  }

  @Test
  void anAnswerThatIsNotAListIsOneErrorLineAndTheDeclaredSubscriptionsStart() throws Exception {
    startApp("{\"pubsubname\":\"orderpubsub\"}", "/audit");
    startRuntime();
    awaitSubscriptions(1);
    assertThat(errors())
        .singleElement()
        .satisfies(
            record -> {
              assertThat(record.getMessage())
                  .contains("cannot read the app's subscriptions")
                  .contains("must be a JSON array of subscriptions, not an object")
                  .contains("only the declared subscriptions start");
              assertThat(record.getThrown()).isNull();
            });
    client.publishEvent("orderpubsub", "audit", "declared").block();
    assertThat(received.poll(20, TimeUnit.SECONDS)).isEqualTo("/audit audit declared");
  }
}
