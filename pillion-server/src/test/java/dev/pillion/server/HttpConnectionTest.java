package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP transport under requests no well-behaved client sends: undecodable requests, oversized
 * ones, clients that stop sending or never leave, and more connections than the server allows.
 * Every case gets a daprd-style error response (or a closed connection), never silence.
 */
class HttpConnectionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private Pillion runtime;
  private PillionServer server;

  private PillionServer start(PillionServer.Builder builder) {
    runtime =
        Pillion.builder()
            .appId("conn-app")
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .build();
    server = builder.runtime(runtime).httpPort(0).grpcPort(0).build().start();
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (runtime != null) {
      runtime.close();
    }
  }

  private RawHttp connect() throws IOException {
    return new RawHttp(server.httpPort());
  }

  private static void assertDaprError(RawHttp.Response response, int status, String... inMessage)
      throws IOException {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.header("Content-Type")).isEqualTo("application/json");
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("errorCode").asText()).isEqualTo("ERR_MALFORMED_REQUEST");
    assertThat(body.path("message").asText()).contains(inMessage);
  }

  @Test
  void aHugeHeaderIs431AndEndsTheConnection() throws Exception {
    start(PillionServer.builder());
    try (RawHttp http = connect()) {
      http.send(
          "GET /v1.0/healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "x".repeat(20_000) + "\r\n\r\n");
      assertDaprError(http.read(), 431, "headers are larger than 8192 bytes", "--read-buffer-size");
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void aHugeUriIs414AndEndsTheConnection() throws Exception {
    start(PillionServer.builder());
    try (RawHttp http = connect()) {
      http.send(
          "GET /v1.0/state/statestore/" + "k".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
      assertDaprError(http.read(), 414, "request line is longer than 8192 bytes");
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void theReadBufferSizeMovesBothLimits() throws Exception {
    start(PillionServer.builder().readBufferSize(16 * 1024));
    try (RawHttp http = connect()) {
      // 12 KB of headers and a 12 KB target: over the default limits, under these.
      http.send(
          "GET /v1.0/healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "x".repeat(12_000) + "\r\n\r\n");
      assertThat(http.read().status()).isEqualTo(204);
      http.request("GET", "/v1.0/state/statestore/" + "k".repeat(12_000), null);
      assertThat(http.read().status()).isEqualTo(204);
      // Past them, the same answers as with the defaults.
      http.request("GET", "/v1.0/state/statestore/" + "k".repeat(21_000), null);
      assertThat(http.read().status()).isEqualTo(414);
    }
  }

  @Test
  void aHeaderLineWithoutColonIs400AndEndsTheConnection() throws Exception {
    start(PillionServer.builder());
    try (RawHttp http = connect()) {
      http.send("GET /v1.0/metadata HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n");
      assertDaprError(http.read(), 400, "not valid HTTP/1.1");
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void anOversizedBodyIs413NamingTheLimit() throws Exception {
    start(PillionServer.builder().maxBodyBytes(1024));
    try (RawHttp http = connect()) {
      http.request("POST", "/v1.0/state/statestore", "[" + " ".repeat(2000) + "]");
      assertDaprError(http.read(), 413, "larger than the limit of 1024 bytes", "--max-body-size");
      assertThat(http.closedByServer()).isTrue();
    }
    // A chunked body has no declared length: it is refused once it passes the limit.
    try (RawHttp http = connect()) {
      http.send(
          "POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (int i = 0; i < 3; i++) {
        http.send("258\r\n" + "x".repeat(600) + "\r\n");
      }
      assertDaprError(http.read(), 413, "1024 bytes");
      assertThat(http.closedByServer()).isTrue();
    }
    // With Expect: 100-continue the client learns it before sending the body.
    try (RawHttp http = connect()) {
      http.send(
          "POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
              + "Content-Length: 5000\r\n\r\n");
      assertDaprError(http.read(), 413, "1024 bytes");
    }
  }

  @Test
  void aClientThatStopsSendingGets408AndIsDisconnected() throws Exception {
    start(PillionServer.builder().readTimeout(Duration.ofMillis(300)));
    try (RawHttp http = connect()) {
      // 2 of the 100 declared bytes, then nothing.
      http.send("POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[{");
      assertDaprError(http.read(), 408, "did not arrive completely within 300 ms");
      assertThat(http.closedByServer()).isTrue();
    }
    try (RawHttp http = connect()) {
      // A request head that never ends.
      http.send("GET /v1.0/healthz HTTP/1.1\r\nHost: x\r\n");
      assertDaprError(http.read(), 408, "--dapr-http-read-timeout");
      assertThat(http.closedByServer()).isTrue();
    }
    // A complete request on a fresh connection is served as usual.
    try (RawHttp http = connect()) {
      http.request("GET", "/v1.0/healthz", null);
      assertThat(http.read().status()).isEqualTo(204);
    }
  }

  @Test
  void theReadTimeoutCountsFromTheFirstByteOfEachRequest() throws Exception {
    start(PillionServer.builder().readTimeout(Duration.ofMillis(300)));
    try (RawHttp http = connect()) {
      // Keep-alive: the second request on the connection gets its own read timeout.
      http.request("GET", "/v1.0/healthz", null);
      assertThat(http.read().status()).isEqualTo(204);
      http.request("GET", "/v1.0/healthz", null);
      assertThat(http.read().status()).isEqualTo(204);
      http.send("GET /v1.0/healthz HTTP/1.1\r\n");
      assertThat(http.read().status()).isEqualTo(408);
    }
  }

  @Test
  void anIdleConnectionIsClosed() throws Exception {
    // Long enough for the request below to arrive first even on a loaded machine.
    start(PillionServer.builder().idleTimeout(Duration.ofSeconds(1)));
    try (RawHttp http = connect()) {
      http.request("GET", "/v1.0/healthz", null);
      assertThat(http.read().status()).isEqualTo(204);
      assertThat(http.closedByServer()).isTrue();
    }
    try (RawHttp http = connect()) {
      // Connected, never sent anything.
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void connectionsPastTheCapAreRefusedWhileOpenOnesKeepWorking() throws Exception {
    start(PillionServer.builder().maxConnections(2));
    List<RawHttp> open = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        RawHttp http = connect();
        open.add(http);
        // Answered: the server has accepted and counted it.
        http.request("GET", "/v1.0/healthz", null);
        assertThat(http.read().status()).isEqualTo(204);
      }
      try (RawHttp third = connect()) {
        assertThat(third.closedByServer()).isTrue();
      }
      for (RawHttp http : open) {
        http.request("POST", "/v1.0/state/statestore", "[{\"key\":\"k\",\"value\":1}]");
        assertThat(http.read().status()).isEqualTo(204);
      }
      // Once one closes, a new connection is accepted again.
      open.remove(0).close();
      assertThat(newConnectionServed()).isTrue();
    } finally {
      for (RawHttp http : open) {
        http.close();
      }
    }
  }

  /** Tries new connections until one is served (the server notices a close asynchronously). */
  private boolean newConnectionServed() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      try (RawHttp http = connect()) {
        http.request("GET", "/v1.0/healthz", null);
        if (http.read().status() == 204) {
          return true;
        }
      } catch (IOException refused) {
        Thread.sleep(20);
      }
    }
    return false;
  }
}
