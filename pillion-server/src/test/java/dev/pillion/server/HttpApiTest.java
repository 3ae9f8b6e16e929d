package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.components.ComponentDefinition;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.config.Properties;
import io.dapr.exceptions.DaprException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Dapr's HTTP API, driven with plain java.net.http: routes, status codes, error bodies, token,
 * limits.
 */
class HttpApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Pillion runtime;
  private PillionServer server;

  private void startServer(PillionServer.Builder builder) {
    runtime =
        Pillion.builder()
            .appId("http-app")
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .build();
    server = builder.runtime(runtime).httpPort(0).grpcPort(0).build().start();
  }

  @BeforeEach
  void start() {
    startServer(PillionServer.builder().maxBodyBytes(64 * 1024));
  }

  @AfterEach
  void stop() {
    server.close();
    runtime.close();
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private static void assertError(HttpResponse<String> response, int status, String errorCode)
      throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(json(response).path("errorCode").asText()).isEqualTo(errorCode);
    assertThat(json(response).path("message").asText()).isNotEmpty();
  }

  @Test
  void saveGetDeleteWithEtags() throws Exception {
    HttpResponse<String> saved =
        send(
            "POST",
            "/v1.0/state/statestore",
            "[{\"key\":\"order\",\"value\":{\"item\":\"book\",\"qty\":1}}]");
    assertThat(saved.statusCode()).isEqualTo(204);

    HttpResponse<String> got = send("GET", "/v1.0/state/statestore/order", null);
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(json(got)).isEqualTo(JSON.readTree("{\"item\":\"book\",\"qty\":1}"));
    String etag = got.headers().firstValue("ETag").orElseThrow();

    HttpResponse<String> stale =
        send(
            "POST",
            "/v1.0/state/statestore",
            "[{\"key\":\"order\",\"value\":2,\"etag\":\"nope\"}]");
    assertError(stale, 409, "ERR_STATE_SAVE");

    assertError(
        send("DELETE", "/v1.0/state/statestore/order", null, "If-Match", "wrong"),
        409,
        "ERR_STATE_DELETE");
    assertThat(send("DELETE", "/v1.0/state/statestore/order", null, "If-Match", etag).statusCode())
        .isEqualTo(204);
    assertThat(send("GET", "/v1.0/state/statestore/order", null).statusCode()).isEqualTo(204);
  }

  @Test
  void firstWriteAndConsistencyOptions() throws Exception {
    String firstWrite = "{\"concurrency\":\"first-write\",\"consistency\":\"strong\"}";
    assertThat(
            send(
                    "POST",
                    "/v1.0/state/statestore",
                    "[{\"key\":\"fw\",\"value\":1,\"options\":" + firstWrite + "}]")
                .statusCode())
        .isEqualTo(204);
    assertError(
        send(
            "POST",
            "/v1.0/state/statestore",
            "[{\"key\":\"fw\",\"value\":2,\"options\":" + firstWrite + "}]"),
        409,
        "ERR_STATE_SAVE");
    assertThat(send("GET", "/v1.0/state/statestore/fw?consistency=strong", null).body())
        .isEqualTo("1");
    assertError(
        send("GET", "/v1.0/state/statestore/fw?consistency=sometimes", null),
        400,
        "ERR_MALFORMED_REQUEST");
  }

  @Test
  void ttlThroughMetadata() throws Exception {
    send(
        "POST",
        "/v1.0/state/statestore",
        "[{\"key\":\"ttl\",\"value\":\"x\",\"metadata\":{\"ttlInSeconds\":\"100\"}}]");
    HttpResponse<String> got = send("GET", "/v1.0/state/statestore/ttl", null);
    assertThat(got.headers().firstValue("metadata.ttlExpireTime")).isPresent();
    assertError(
        send(
            "POST",
            "/v1.0/state/statestore",
            "[{\"key\":\"ttl\",\"value\":\"x\",\"metadata\":{\"ttlInSeconds\":\"soon\"}}]"),
        400,
        "ERR_MALFORMED_REQUEST");
  }

  @Test
  void bulkGet() throws Exception {
    send(
        "POST",
        "/v1.0/state/statestore",
        "[{\"key\":\"a\",\"value\":\"A\"},{\"key\":\"b\",\"value\":{\"n\":2}}]");
    HttpResponse<String> bulk =
        send(
            "POST",
            "/v1.0/state/statestore/bulk",
            "{\"keys\":[\"a\",\"missing\",\"b\"],\"parallelism\":2}");
    assertThat(bulk.statusCode()).isEqualTo(200);
    JsonNode items = json(bulk);
    assertThat(items).hasSize(3);
    assertThat(items.get(0).path("data").asText()).isEqualTo("A");
    assertThat(items.get(0).path("etag").asText()).isNotEmpty();
    assertThat(items.get(1).has("data")).isFalse();
    assertThat(items.get(2).path("data")).isEqualTo(JSON.readTree("{\"n\":2}"));
  }

  @Test
  void transactions() throws Exception {
    send("POST", "/v1.0/state/statestore", "[{\"key\":\"gone\",\"value\":1}]");
    String transaction =
        "{\"operations\":[{\"operation\":\"upsert\",\"request\":{\"key\":\"t1\",\"value\":\"one\"}},"
            + "{\"operation\":\"delete\",\"request\":{\"key\":\"gone\"}}],\"metadata\":{}}";
    assertThat(send("POST", "/v1.0/state/statestore/transaction", transaction).statusCode())
        .isEqualTo(204);
    assertThat(send("GET", "/v1.0/state/statestore/t1", null).body()).isEqualTo("\"one\"");
    assertThat(send("GET", "/v1.0/state/statestore/gone", null).statusCode()).isEqualTo(204);

    String unknown = "{\"operations\":[{\"operation\":\"merge\",\"request\":{\"key\":\"t1\"}}]}";
    assertError(
        send("POST", "/v1.0/state/statestore/transaction", unknown),
        400,
        "ERR_NOT_SUPPORTED_STATE_OPERATION");
  }

  @Test
  void errorsAsDaprdGivesThem() throws Exception {
    assertError(send("GET", "/v1.0/state/nope/k", null), 400, "ERR_STATE_STORE_NOT_FOUND");
    assertError(send("POST", "/v1.0/state/statestore", "{not json"), 400, "ERR_MALFORMED_REQUEST");
    assertError(
        send("POST", "/v1.0/state/statestore", "{\"key\":\"k\"}"), 400, "ERR_MALFORMED_REQUEST");
    assertError(
        send("POST", "/v1.0/state/statestore", "[{\"value\":1}]"), 400, "ERR_MALFORMED_REQUEST");
    assertError(
        send("POST", "/v1.0/state/statestore", "[{\"key\":\"a||b\",\"value\":1}]"),
        400,
        "ERR_MALFORMED_REQUEST");
    assertError(send("POST", "/v1.0/bindings/cron", "{}"), 501, "ERR_NOT_IMPLEMENTED");
    assertError(send("POST", "/v1.0/publish/pubsub/topic", "{}"), 400, "ERR_PUBSUB_NOT_CONFIGURED");
    assertThat(send("GET", "/v1.0/nothing-here", null).statusCode()).isEqualTo(404);
  }

  @Test
  void oversizedBodyIsRefused() throws Exception {
    String big = "[{\"key\":\"big\",\"value\":\"" + "x".repeat(100 * 1024) + "\"}]";
    assertThat(send("POST", "/v1.0/state/statestore", big).statusCode()).isEqualTo(413);
    assertThat(send("GET", "/v1.0/healthz", null).statusCode()).isEqualTo(204);
  }

  @Test
  void metadataAndHealth() throws Exception {
    JsonNode metadata = json(send("GET", "/v1.0/metadata", null));
    assertThat(metadata.path("id").asText()).isEqualTo("http-app");
    assertThat(metadata.path("components").get(0).path("name").asText()).isEqualTo("statestore");
    assertThat(metadata.path("components").get(0).path("type").asText())
        .isEqualTo("state.in-memory");
    assertThat(metadata.path("components").get(0).path("capabilities").toString()).contains("ETAG");
    assertThat(send("GET", "/v1.0/healthz", null).statusCode()).isEqualTo(204);
    assertThat(send("GET", "/v1.0/healthz/outbound", null).statusCode()).isEqualTo(204);
  }

  @Test
  void shutdownStopsTheServer() throws Exception {
    assertThat(send("POST", "/v1.0/shutdown", null).statusCode()).isEqualTo(204);
    Thread waiter =
        new Thread(
            () -> {
              try {
                server.awaitShutdown();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    waiter.start();
    waiter.join(10_000);
    assertThat(waiter.isAlive()).isFalse();
  }

  @Test
  void apiTokenIsEnforcedOnBothProtocols() throws Exception {
    server.close();
    runtime.close();
    startServer(PillionServer.builder().apiToken("s3cret"));
    assertError(send("GET", "/v1.0/metadata", null), 401, "ERR_UNAUTHORIZED");
    assertError(
        send("GET", "/v1.0/metadata", null, "dapr-api-token", "wrong"), 401, "ERR_UNAUTHORIZED");
    assertThat(send("GET", "/v1.0/metadata", null, "dapr-api-token", "s3cret").statusCode())
        .isEqualTo(200);
    assertThat(send("GET", "/v1.0/healthz", null).statusCode()).isEqualTo(204);

    try (DaprClient anonymous = grpcClient(null)) {
      assertThatThrownBy(() -> anonymous.getState("statestore", "k", String.class).block())
          .isInstanceOfSatisfying(
              DaprException.class, e -> assertThat(e.getErrorCode()).isEqualTo("UNAUTHENTICATED"));
    }
    try (DaprClient authorized = grpcClient("s3cret")) {
      authorized.saveState("statestore", "k", "v").block();
      assertThat(authorized.getState("statestore", "k", String.class).block().getValue())
          .isEqualTo("v");
    }
  }

  private DaprClient grpcClient(String token) {
    DaprClientBuilder builder =
        new DaprClientBuilder()
            .withPropertyOverride(
                Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort());
    if (token != null) {
      builder.withPropertyOverride(Properties.API_TOKEN, token);
    }
    return builder.build();
  }

  @Test
  void bindsToLoopbackByDefault() {
    assertThat(server.httpAddress().getAddress().isLoopbackAddress()).isTrue();
  }
}
