package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprMetadataProtos;
import io.dapr.v1.DaprStateProtos;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * API logging ({@code apiLogging(true)}, the CLI's {@code --enable-api-logging}): one entry per
 * HTTP and gRPC call with the method and path or gRPC method, the status and the duration; calls
 * refused for a missing token are logged too; without the option nothing is logged.
 */
class ApiLoggingTest {
  private static final String TOKEN = "secret-token";
  private final Logger apiLogger = Logger.getLogger(ApiLog.LOGGER_NAME);
  private final List<String> entries = new CopyOnWriteArrayList<>();
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          if (record.getLevel() == Level.INFO) {
            entries.add(record.getMessage());
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private final HttpClient http = HttpClient.newHttpClient();
  private Level previousLevel;

  @BeforeEach
  void captureTheApiLog() {
    previousLevel = apiLogger.getLevel();
    apiLogger.setLevel(Level.INFO);
    apiLogger.addHandler(capture);
  }

  @AfterEach
  void restore() {
    apiLogger.removeHandler(capture);
    apiLogger.setLevel(previousLevel);
  }

  private static PillionServer start(boolean apiLogging) {
    Pillion runtime =
        Pillion.builder()
            .appId("logged")
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .build();
    return PillionServer.builder()
        .runtime(runtime)
        .closeRuntime(true)
        .httpPort(0)
        .grpcPort(0)
        .apiToken(TOKEN)
        .apiLogging(apiLogging)
        .build()
        .start();
  }

  private int send(PillionServer server, String method, String path, String body, boolean token)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token) {
      request.header("dapr-api-token", TOKEN);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static DaprGrpc.DaprBlockingStub grpc(ManagedChannel channel, boolean token) {
    DaprGrpc.DaprBlockingStub stub = DaprGrpc.newBlockingStub(channel);
    if (!token) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("dapr-api-token", Metadata.ASCII_STRING_MARSHALLER), TOKEN);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Test
  void everyHttpAndGrpcCallIsOneEntryWithMethodStatusAndDuration() throws Exception {
    try (PillionServer server = start(true)) {
      assertThat(
              send(
                  server,
                  "POST",
                  "/v1.0/state/statestore?metadata.ttlInSeconds=60",
                  "[{\"key\":\"k\",\"value\":1}]",
                  true))
          .isEqualTo(204);
      assertThat(send(server, "GET", "/v1.0/state/statestore/k", null, true)).isEqualTo(200);
      assertThat(send(server, "GET", "/v1.0/state/nostore/k", null, true)).isEqualTo(400);
      assertThat(send(server, "GET", "/v1.0/metadata", null, false)).isEqualTo(401);

      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
      try {
        grpc(channel, true)
            .getState(
                DaprStateProtos.GetStateRequest.newBuilder()
                    .setStoreName("statestore")
                    .setKey("k")
                    .build());
        assertThatThrownBy(
                () ->
                    grpc(channel, true)
                        .getState(
                            DaprStateProtos.GetStateRequest.newBuilder()
                                .setStoreName("nostore")
                                .setKey("k")
                                .build()))
            .isInstanceOf(StatusRuntimeException.class);
        assertThatThrownBy(
                () ->
                    grpc(channel, false)
                        .getMetadata(DaprMetadataProtos.GetMetadataRequest.getDefaultInstance()))
            .isInstanceOf(StatusRuntimeException.class);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      awaitEntries(7);
    }
    String duration = ", \\d+\\.\\d\\d ms";
    assertThat(entries)
        .satisfiesExactly(
            e ->
                assertThat(e)
                    .matches(
                        "HTTP API called: POST /v1\\.0/state/statestore, status 204" + duration),
            e ->
                assertThat(e)
                    .matches(
                        "HTTP API called: GET /v1\\.0/state/statestore/k, status 200" + duration),
            e ->
                assertThat(e)
                    .matches("HTTP API called: GET /v1\\.0/state/nostore/k, status 400" + duration),
            e ->
                assertThat(e)
                    .matches("HTTP API called: GET /v1\\.0/metadata, status 401" + duration),
            e ->
                assertThat(e)
                    .matches(
                        "gRPC API called: /dapr\\.proto\\.runtime\\.v1\\.Dapr/GetState, status OK"
                            + duration),
            e ->
                assertThat(e)
                    .matches(
                        "gRPC API called: /dapr\\.proto\\.runtime\\.v1\\.Dapr/GetState, status"
                            + " INVALID_ARGUMENT"
                            + duration),
            e ->
                assertThat(e)
                    .matches(
                        "gRPC API called: /dapr\\.proto\\.runtime\\.v1\\.Dapr/GetMetadata, status"
                            + " UNAUTHENTICATED"
                            + duration));
  }

  @Test
  void withoutApiLoggingNothingIsLogged() throws Exception {
    try (PillionServer server = start(false)) {
      assertThat(send(server, "GET", "/v1.0/state/statestore/k", null, true)).isEqualTo(204);
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
      try {
        grpc(channel, true)
            .getState(
                DaprStateProtos.GetStateRequest.newBuilder()
                    .setStoreName("statestore")
                    .setKey("k")
                    .build());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    assertThat(entries).isEmpty();
  }

  /** gRPC logs when the call is closed, which may come just after the client saw the answer. */
  private void awaitEntries(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (entries.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
  }
}
