package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.pillion.Pillion;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.state.spi.StateComponent;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.config.Properties;
import io.dapr.exceptions.DaprException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Shutdown (graceful, and by API), the gRPC size limit, and a runtime without state stores. */
class ServerLifecycleTest {
  /** A store whose reads take a while, to have a call in flight when the server closes. */
  private static final class SlowStore implements StateComponent {
    private final JavaInMemoryStateComponent delegate = JavaInMemoryStateComponent.create("slow");
    private final CountDownLatch reading = new CountDownLatch(1);

    @Override
    public String name() {
      return "slow";
    }

    @Override
    public Set<String> features() {
      return delegate.features();
    }

    @Override
    public GetResponse get(GetRequest request) {
      reading.countDown();
      try {
        Thread.sleep(700);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return delegate.get(request);
    }

    @Override
    public void set(dev.pillion.abi.state.SetRequest request) {
      delegate.set(request);
    }

    @Override
    public void delete(dev.pillion.abi.state.DeleteRequest request) {
      delegate.delete(request);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  private static DaprClient client(PillionServer server) {
    return new DaprClientBuilder()
        .withPropertyOverride(Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort())
        .build();
  }

  @Test
  void closingLetsCallsInFlightFinish() throws Exception {
    SlowStore slow = new SlowStore();
    try (Pillion runtime = Pillion.builder().appId("app").stateStore("slow", slow).build()) {
      PillionServer server =
          PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
      try (DaprClient client = client(server)) {
        client.saveState("slow", "k", "v").block();
        CompletableFuture<String> inFlight =
            CompletableFuture.supplyAsync(
                () -> client.getState("slow", "k", String.class).block().getValue());
        assertThat(slow.reading.await(5, TimeUnit.SECONDS)).isTrue();
        server.close();
        assertThat(inFlight.get(10, TimeUnit.SECONDS)).isEqualTo("v");
      }
    }
  }

  @Test
  void grpcShutdownStopsTheServer() throws Exception {
    try (Pillion runtime = Pillion.builder().appId("app").build()) {
      PillionServer server =
          PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
      try (DaprClient client = client(server)) {
        client.shutdown().block();
        CompletableFuture<Void> stopped =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    server.awaitShutdown();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
        stopped.get(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void oversizedGrpcMessagesAreRefused() throws Exception {
    try (Pillion runtime =
            Pillion.builder()
                .appId("app")
                .stateStore("s", JavaInMemoryStateComponent.create("s"))
                .build();
        PillionServer server =
            PillionServer.builder()
                .runtime(runtime)
                .httpPort(0)
                .grpcPort(0)
                .maxBodyBytes(64 * 1024)
                .build()
                .start();
        DaprClient client = client(server)) {
      byte[] big = ByteString.copyFrom(new byte[128 * 1024]).toByteArray();
      assertThatThrownBy(() -> client.saveState("s", "big", big).block())
          .isInstanceOfSatisfying(
              DaprException.class,
              e -> assertThat(e.getErrorCode()).isEqualTo("RESOURCE_EXHAUSTED"));
      client.saveState("s", "small", "ok").block();
    }
  }

  @Test
  void noStateStoresConfigured() throws Exception {
    try (Pillion runtime = Pillion.builder().appId("empty").build();
        PillionServer server =
            PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
        DaprClient client = client(server)) {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:" + server.httpPort() + "/v1.0/state/statestore/k"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(500);
      assertThat(response.body()).contains("ERR_STATE_STORE_NOT_CONFIGURED");
      assertThatThrownBy(() -> client.getState("statestore", "k", String.class).block())
          .isInstanceOfSatisfying(
              DaprException.class,
              e -> assertThat(e.getErrorCode()).isEqualTo("FAILED_PRECONDITION"));
    }
  }
}
