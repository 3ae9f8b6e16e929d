package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
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
            // A request the server never answers fails the test instead of hanging it.
            .timeout(Duration.ofSeconds(30))
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
    HttpResponse<String> refused = send("POST", "/v1.0/state/statestore", big);
    assertError(refused, 413, "ERR_MALFORMED_REQUEST");
    assertThat(json(refused).path("message").asText()).contains("65536 bytes", "--max-body-size");
    assertThat(send("GET", "/v1.0/healthz", null).statusCode()).isEqualTo(204);
  }

  @Test
  void pathSegmentsAreDecodedExactlyOnce() throws Exception {
    assertThat(
            send(
                    "POST",
                    "/v1.0/state/statestore",
                    "[{\"key\":\"a b\",\"value\":1},{\"key\":\"a%20b\",\"value\":2},"
                        + "{\"key\":\"a/b\",\"value\":3},{\"key\":\"a+b\",\"value\":4}]")
                .statusCode())
        .isEqualTo(204);
    assertThat(send("GET", "/v1.0/state/statestore/a%2520b", null).body()).isEqualTo("2");
    assertThat(send("GET", "/v1.0/state/statestore/a%20b", null).body()).isEqualTo("1");
    assertThat(send("GET", "/v1.0/state/statestore/a%2Fb", null).body()).isEqualTo("3");
    assertThat(send("GET", "/v1.0/state/statestore/a+b", null).body()).isEqualTo("4");

    // Deleting a%2520b deletes the key "a%20b", not "a b".
    assertThat(send("DELETE", "/v1.0/state/statestore/a%2520b", null).statusCode()).isEqualTo(204);
    assertThat(send("GET", "/v1.0/state/statestore/a%2520b", null).statusCode()).isEqualTo(204);
    assertThat(send("GET", "/v1.0/state/statestore/a%20b", null).body()).isEqualTo("1");

    // A key with a slash can be deleted too.
    assertThat(send("DELETE", "/v1.0/state/statestore/a%2fb", null).statusCode()).isEqualTo(204);
    assertThat(send("GET", "/v1.0/state/statestore/a%2Fb", null).statusCode()).isEqualTo(204);
  }

  @Test
  void undecodableTargetsAre400NamingThePart() throws Exception {
    try (RawHttp raw = new RawHttp(server.httpPort())) {
      raw.request("GET", "/v1.0/state/statestore/%zz", null);
      RawHttp.Response badEscape = raw.read();
      assertThat(badEscape.status()).isEqualTo(400);
      assertThat(JSON.readTree(badEscape.body()).path("errorCode").asText())
          .isEqualTo("ERR_MALFORMED_REQUEST");
      assertThat(JSON.readTree(badEscape.body()).path("message").asText())
          .contains("path segment '%zz'", "invalid percent-escape '%zz'");

      raw.request("DELETE", "/v1.0/state/statestore/k%ff", null);
      RawHttp.Response notUtf8 = raw.read();
      assertThat(notUtf8.status()).isEqualTo(400);
      assertThat(notUtf8.body()).contains("UTF-8");

      raw.request("GET", "/v1.0/state/statestore/k?metadata.x=%g1", null);
      RawHttp.Response badQuery = raw.read();
      assertThat(badQuery.status()).isEqualTo(400);
      assertThat(badQuery.body()).contains("query parameter 'metadata.x'");

      raw.request("GET", "/v1.0/state/statestore/a\u0001b", null);
      assertThat(raw.read().status()).isEqualTo(400);

      // The connection still serves requests afterwards.
      raw.request("GET", "/v1.0/healthz", null);
      assertThat(raw.read().status()).isEqualTo(204);
    }
  }

  @Test
  void aContentTypeWithControlCharactersIsRefusedWhenSaved() throws Exception {
    HttpResponse<String> refused =
        send(
            "POST",
            "/v1.0/state/statestore",
            "[{\"key\":\"ct\",\"value\":1,"
                + "\"metadata\":{\"contentType\":\"text/plain\\r\\nX-Injected: yes\"}}]");
    assertError(refused, 400, "ERR_MALFORMED_REQUEST");
    assertThat(json(refused).path("message").asText())
        .contains("[0].metadata.contentType", "control character");
    assertThat(send("GET", "/v1.0/state/statestore/ct", null).statusCode()).isEqualTo(204);

    // A valid one is sent back as the Content-Type of reads.
    send(
        "POST",
        "/v1.0/state/statestore",
        "[{\"key\":\"ct\",\"value\":\"x\",\"metadata\":{\"contentType\":\"text/plain\"}}]");
    assertThat(send("GET", "/v1.0/state/statestore/ct", null).headers().firstValue("Content-Type"))
        .hasValue("text/plain");
  }

  @Test
  void aContentTypeWithControlCharactersIsRefusedOverGrpcToo() throws Exception {
    try (DaprClient client = grpcClient(null)) {
      assertThatThrownBy(
              () ->
                  client
                      .saveState(
                          "statestore",
                          "ct",
                          null,
                          "v",
                          java.util.Map.of("contentType", "text/plain\r\nX-Injected: yes"),
                          null)
                      .block())
          .isInstanceOfSatisfying(
              DaprException.class,
              e -> {
                assertThat(e.getErrorCode()).isEqualTo("INVALID_ARGUMENT");
                assertThat(e.getMessage()).contains("metadata.contentType of key 'ct'");
              });
    }
  }

  @Test
  void aStoredContentTypeThatCannotBeAHeaderIsA500NotASilentConnection() throws Exception {
    // Saved through the embedded API, which has no HTTP rules.
    runtime
        .state("statestore")
        .save(
            dev.pillion.state.SaveRequest.builder("evil", "1")
                .contentType("text/plain\r\nX-Injected: yes")
                .build());
    HttpResponse<String> got = send("GET", "/v1.0/state/statestore/evil", null);
    assertThat(got.statusCode()).isEqualTo(500);
    assertThat(got.headers().firstValue("X-Injected")).isEmpty();
    assertThat(json(got).path("errorCode").asText()).isEqualTo("ERR_INTERNAL");
    assertThat(json(got).path("message").asText()).contains("Content-Type");
    assertThat(send("GET", "/v1.0/healthz", null).statusCode()).isEqualTo(204);
  }

  @Test
  void fieldsOfTheWrongTypeAre400AndChangeNothing() throws Exception {
    send("POST", "/v1.0/state/statestore", "[{\"key\":\"guarded\",\"value\":1}]");
    String etag =
        send("GET", "/v1.0/state/statestore/guarded", null)
            .headers()
            .firstValue("ETag")
            .orElseThrow();
    String[][] cases = {
      {"[{\"key\":\"guarded\",\"value\":2,\"etag\":{\"v\":\"999\"}}]", "[0].etag must be a string"},
      {"[{\"key\":\"guarded\",\"value\":2,\"etag\":[\"999\"]}]", "[0].etag must be a string"},
      {"[{\"key\":\"guarded\",\"value\":2,\"etag\":999}]", "[0].etag must be a string"},
      {
        "[{\"key\":\"guarded\",\"value\":2,\"options\":\"first-write\"}]",
        "[0].options must be a JSON object"
      },
      {
        "[{\"key\":\"guarded\",\"value\":2,\"options\":{\"concurrency\":1}}]",
        "[0].options.concurrency must be a string"
      },
      {
        "[{\"key\":\"guarded\",\"value\":2,\"metadata\":{\"ttlInSeconds\":5}}]",
        "[0].metadata.ttlInSeconds"
      },
      {"[{\"key\":7,\"value\":2}]", "[0].key must be a string"},
      {"[{\"key\":\"guarded\",\"value\":2}] x", "not valid JSON"},
      {"[{\"key\":\"guarded\",\"value\":2}][]", "more content after its JSON value"},
    };
    for (String[] c : cases) {
      HttpResponse<String> response = send("POST", "/v1.0/state/statestore", c[0]);
      assertError(response, 400, "ERR_MALFORMED_REQUEST");
      assertThat(json(response).path("message").asText()).as(c[0]).contains(c[1]);
    }
    HttpResponse<String> after = send("GET", "/v1.0/state/statestore/guarded", null);
    assertThat(after.body()).isEqualTo("1");
    assertThat(after.headers().firstValue("ETag")).hasValue(etag);

    String[][] others = {
      {
        "/v1.0/state/statestore/transaction",
        "{\"operations\":\"upsert\"}",
        "operations must be a JSON array"
      },
      {
        "/v1.0/state/statestore/transaction",
        "{\"operations\":[{\"operation\":\"delete\",\"request\":{\"key\":\"guarded\",\"etag\":{\"v\":1}}}]}",
        "operations[0].request.etag must be a string"
      },
      {
        "/v1.0/state/statestore/transaction",
        "{\"operations\":[{\"operation\":\"upsert\",\"request\":{\"key\":\"guarded\",\"value\":3,"
            + "\"options\":\"first-write\"}}]}",
        "operations[0].request.options must be a JSON object"
      },
      {"/v1.0/state/statestore/transaction", "{\"operations\":[]} {}", "more content"},
      {"/v1.0/state/statestore/bulk", "{\"keys\":[\"guarded\",1]}", "keys[1] must be a string"},
      {
        "/v1.0/state/statestore/bulk",
        "{\"keys\":[\"guarded\"],\"parallelism\":\"2\"}",
        "parallelism must be an integer"
      },
      {
        "/v1.0/state/statestore/bulk",
        "{\"keys\":[],\"metadata\":[]}",
        "metadata must be a JSON object"
      },
    };
    for (String[] c : others) {
      HttpResponse<String> response = send("POST", c[0], c[1]);
      assertError(response, 400, "ERR_MALFORMED_REQUEST");
      assertThat(json(response).path("message").asText()).as(c[1]).contains(c[2]);
    }
    assertThat(send("GET", "/v1.0/state/statestore/guarded", null).body()).isEqualTo("1");

    // null is absent, as in Go; an empty transaction is a no-op.
    assertThat(
            send(
                    "POST",
                    "/v1.0/state/statestore",
                    "[{\"key\":\"guarded\",\"value\":5,\"etag\":null,\"options\":null,\"metadata\":null}]")
                .statusCode())
        .isEqualTo(204);
    assertThat(send("POST", "/v1.0/state/statestore/transaction", "{}").statusCode())
        .isEqualTo(204);
  }

  @Test
  void fieldNamesMatchInAnyLetterCaseAsInGo() throws Exception {
    assertThat(
            send(
                    "POST",
                    "/v1.0/state/statestore",
                    "[{\"Key\":\"cased\",\"VALUE\":{\"n\":1},\"Metadata\":{\"contentType\":\"text/x\"}}]")
                .statusCode())
        .isEqualTo(204);
    HttpResponse<String> saved = send("GET", "/v1.0/state/statestore/cased", null);
    assertThat(saved.body()).isEqualTo("{\"n\":1}");
    assertThat(saved.headers().firstValue("Content-Type")).hasValue("text/x");
    String etag = saved.headers().firstValue("ETag").orElseThrow();

    // The etag is checked in whatever case it is spelled: a wrong one is refused.
    assertError(
        send("POST", "/v1.0/state/statestore", "[{\"key\":\"cased\",\"value\":2,\"ETag\":\"no\"}]"),
        409,
        "ERR_STATE_SAVE");
    assertError(
        send(
            "POST",
            "/v1.0/state/statestore",
            "[{\"key\":\"cased\",\"value\":2,\"Options\":{\"Concurrency\":7}}]"),
        400,
        "ERR_MALFORMED_REQUEST");

    String transaction =
        "{\"Operations\":[{\"OPERATION\":\"upsert\",\"Request\":{\"key\":\"cased\",\"value\":3,"
            + "\"eTag\":\""
            + etag
            + "\"}}]}";
    assertThat(send("POST", "/v1.0/state/statestore/transaction", transaction).statusCode())
        .isEqualTo(204);
    HttpResponse<String> bulk =
        send("POST", "/v1.0/state/statestore/bulk", "{\"KEYS\":[\"cased\"],\"Parallelism\":1}");
    assertThat(json(bulk).get(0).path("data").asInt()).isEqualTo(3);
  }

  @Test
  void numbersAreStoredAsTheirJsonText() throws Exception {
    send(
        "POST",
        "/v1.0/state/statestore",
        "[{\"key\":\"n\",\"value\":{\"big\":1e400,\"exact\":0.10,\"int\":12345678901234567890}}]");
    assertThat(send("GET", "/v1.0/state/statestore/n", null).body())
        .isEqualTo("{\"big\":1E+400,\"exact\":0.10,\"int\":12345678901234567890}");
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
