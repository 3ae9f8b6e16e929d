package dev.pillion.server.apps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.SubscriptionOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's Rust order service (examples/apps/order-service) as a hosted app. */
class OrderServiceExampleTest {
  private static final Path MODULE =
      Path.of("..", "examples", "apps", "order-service", "order-service.wasm")
          .toAbsolutePath()
          .normalize();

  @Test
  void placingAnOrderSavesItAndPublishesIt() throws Exception {
    BlockingQueue<Event> published = new LinkedBlockingQueue<>();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try (Pillion runtime =
            Pillion.builder()
                .appId("shop")
                .hostedApps(List.of("order-service"))
                .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
                .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
                .build();
        WasmAppHost host =
            WasmAppHost.start(
                runtime,
                List.of(AppManifest.builder("order-service", MODULE).httpPort(0).build()),
                "127.0.0.1")) {
      runtime
          .pubsub("pubsub")
          .subscribe(
              SubscriptionOptions.builder("orders").build(),
              event -> {
                published.add(event);
                return DeliveryResult.SUCCESS;
              });
      String base = "http://127.0.0.1:" + host.httpPort("order-service").orElseThrow();
      HttpResponse<String> placed =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/orders"))
                  .header("content-type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"book\",\"qty\":2}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
      assertThat(placed.body()).isEqualTo("{\"orderId\":1}");

      HttpResponse<String> read =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/orders/1")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(read.body()).isEqualTo("{\"item\":\"book\",\"qty\":2}");
      assertThat(
              http.send(
                      HttpRequest.newBuilder(URI.create(base + "/orders/9")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(404);

      Event event = published.poll(20, TimeUnit.SECONDS);
      assertThat(event).isNotNull();
      assertThat(event.source()).isEqualTo("order-service");
      assertThat(new String(event.data(), StandardCharsets.UTF_8))
          .isEqualTo("{\"orderId\":1,\"order\":{\"item\":\"book\",\"qty\":2}}");
    }
  }
}
