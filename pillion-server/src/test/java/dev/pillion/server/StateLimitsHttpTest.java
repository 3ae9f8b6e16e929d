package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Large but valid requests through the HTTP API complete without touching stored data, and a
 * request over the store's capacity is a 413 naming the limit that changed nothing.
 */
class StateLimitsHttpTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Pillion runtime;
  private PillionServer server;

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("limits")
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .component(
                ComponentDefinition.builder("small", "state.in-memory")
                    .metadata("wasm.keyvalue.maxBytes", "4096")
                    .build())
            .build();
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
  }

  @AfterEach
  void stop() {
    server.close();
    runtime.close();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aTransactionOf40000DeletesIsAppliedAndKeepsEveryOtherKey() throws Exception {
    assertThat(
            send("POST", "/v1.0/state/statestore", "[{\"key\":\"kept\",\"value\":1}]").statusCode())
        .isEqualTo(204);
    StringBuilder body = new StringBuilder("{\"operations\":[");
    for (int i = 0; i < 40_000; i++) {
      body.append(i == 0 ? "" : ",")
          .append("{\"operation\":\"delete\",\"request\":{\"key\":\"gone-")
          .append(i)
          .append("\"}}");
    }
    body.append("]}");
    assertThat(body.length()).isGreaterThan(2_000_000);
    HttpResponse<String> response =
        send("POST", "/v1.0/state/statestore/transaction", body.toString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(204);
    assertThat(send("GET", "/v1.0/state/statestore/kept", null).body()).isEqualTo("1");
  }

  @Test
  void aSaveOverTheCapacityIs413AndChangesNothing() throws Exception {
    assertThat(send("POST", "/v1.0/state/small", "[{\"key\":\"a\",\"value\":\"x\"}]").statusCode())
        .isEqualTo(204);
    String big = "y".repeat(5000);
    HttpResponse<String> refused =
        send(
            "POST",
            "/v1.0/state/small",
            "[{\"key\":\"b\",\"value\":\"z\"},{\"key\":\"c\",\"value\":\"" + big + "\"}]");
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(413);
    JsonNode error = JSON.readTree(refused.body());
    assertThat(error.path("errorCode").asText()).isEqualTo("ERR_STATE_SAVE");
    assertThat(error.path("message").asText()).contains("wasm.keyvalue.maxBytes");
    assertThat(send("GET", "/v1.0/state/small/b", null).statusCode()).isEqualTo(204);
    assertThat(send("GET", "/v1.0/state/small/a", null).body()).isEqualTo("\"x\"");
  }
}
