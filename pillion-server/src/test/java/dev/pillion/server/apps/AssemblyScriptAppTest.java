package dev.pillion.server.apps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import dev.pillion.testing.TestGuests;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The AssemblyScript app SDK, through its example app (examples/apps/order-counter): the module
 * loads with only the imports the host grants (its abort mapped to a trap), registers its
 * subscription, counts every published order in state, answers {@code GET /count} over its HTTP
 * trigger, and sees Dapr's errors with their reason.
 *
 * <p>Two apps run the module over one key: the store's {@code keyPrefix} is {@code none}, so both
 * count into the same {@code order-count}. Each app receives every order (its app id is its
 * consumer group) and the two deliver at the same time, so their writes conflict and only the app's
 * etag retries keep the count exact (a single subscription delivers one event at a time).
 */
class AssemblyScriptAppTest {
  private static final int ORDERS = 40;
  private static final List<String> COUNTERS = List.of("order-counter", "order-counter-2");

  private static Pillion runtime;
  private static WasmAppHost host;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    runtime =
        Pillion.builder()
            .appId("host")
            .hostedApps(List.of("order-counter", "order-counter-2", "stranger"))
            .component(
                ComponentDefinition.builder("statestore", "state.in-memory")
                    .metadata("keyPrefix", "none")
                    .scopes(COUNTERS)
                    .build())
            .component(
                ComponentDefinition.builder("pubsub", "pubsub.in-memory").scopes(COUNTERS).build())
            .build();
    host =
        WasmAppHost.start(
            runtime,
            List.of(
                AppManifest.builder("order-counter", TestGuests.path("order-counter"))
                    .httpPort(0)
                    .instances(2)
                    .build(),
                AppManifest.builder("order-counter-2", TestGuests.path("order-counter"))
                    .httpPort(0)
                    .instances(2)
                    .build(),
                // The same module, outside the scope of the state store.
                AppManifest.builder("stranger", TestGuests.path("order-counter"))
                    .httpPort(0)
                    .build()),
            "127.0.0.1");
  }

  @AfterAll
  static void stop() {
    host.close();
    runtime.close();
  }

  private static HttpResponse<String> send(String app, String method, String path)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + host.httpPort(app).orElseThrow() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void everyPublishedOrderIsCountedAndTheCountIsServed() throws Exception {
    assertThat(send("order-counter", "GET", "/count").body())
        .as("no order yet: the absent key reads as 0")
        .isEqualTo("0");
    Pillion app = host.app("order-counter").orElseThrow().runtime();
    for (int i = 0; i < ORDERS; i++) {
      app.pubsub("pubsub")
          .publish(
              PublishRequest.builder("orders", "{\"order\":" + i + "}")
                  .contentType("application/json")
                  .build());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (storedCount(app) < 2 * ORDERS && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(storedCount(app)).as("each order counted once by each app").isEqualTo(2 * ORDERS);
    for (String counter : COUNTERS) {
      HttpResponse<String> count = send(counter, "GET", "/count");
      assertThat(count.statusCode()).isEqualTo(200);
      assertThat(count.body()).isEqualTo(Integer.toString(2 * ORDERS));
      assertThat(count.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
    }
  }

  @Test
  void otherRoutesAndVerbsAreRefusedByTheApp() throws Exception {
    HttpResponse<String> post = send("order-counter", "POST", "/count");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("allow")).hasValue("GET");
    HttpResponse<String> unknown = send("order-counter", "GET", "/orders?x=1");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body())
        .isEqualTo("{\"error\":\"no route /orders (order-counter serves GET /count)\"}");
  }

  @Test
  void aDaprErrorReachesTheAppWithItsReason() throws Exception {
    HttpResponse<String> count = send("stranger", "GET", "/count");
    assertThat(count.statusCode()).isEqualTo(500);
    // No state store is in its scope: the SDK decoded the google.rpc.Status the import answered,
    // its code (FAILED_PRECONDITION) and ErrorInfo's reason, as daprd's gRPC API sends them.
    assertThat(count.body())
        .isEqualTo(
            "{\"error\":\"DAPR_STATE_NOT_CONFIGURED (code 9): state store is not configured\"}");
  }

  @Test
  void aKeyThatHoldsNoCountIsAnErrorNamingIt() throws Exception {
    StateStore store = host.app("order-counter").orElseThrow().runtime().state("statestore");
    Optional<byte[]> before = store.get("order-count").map(StateItem::value);
    store.save("order-count", "many");
    try {
      HttpResponse<String> count = send("order-counter", "GET", "/count");
      assertThat(count.statusCode()).isEqualTo(500);
      assertThat(count.body())
          .isEqualTo(
              "{\"error\":\"code 13: state key order-count of statestore holds 'many', not a"
                  + " count\"}");
    } finally {
      before.ifPresentOrElse(
          value -> store.save("order-count", value), () -> store.delete("order-count"));
    }
  }

  private static long storedCount(Pillion app) {
    return app.state("statestore")
        .get("order-count")
        .map(item -> Long.parseLong(new String(item.value(), StandardCharsets.UTF_8)))
        .orElse(0L);
  }
}
