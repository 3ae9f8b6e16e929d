package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.server.fixtures.ThreadRecordingKeyValue;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprStateProtos;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which components are blocking comes from the runtime: a Wasm component granted a host capability
 * that declares itself blocking has its calls run on the server's blocking executor, over HTTP and
 * gRPC; the same guest granted the capability declared not blocking is called on the thread that
 * received the request.
 */
class BlockingComponentsTest {
  private final ThreadRecordingKeyValue network = new ThreadRecordingKeyValue("networked", true);
  private final ThreadRecordingKeyValue memory = new ThreadRecordingKeyValue("local", false);
  private Pillion runtime;
  private PillionServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("blocking")
            .stateComponentType(
                "state.networked",
                (definition, context) ->
                    ThreadRecordingKeyValue.inMemoryGuest(definition, context, network))
            .stateComponentType(
                "state.local",
                (definition, context) ->
                    ThreadRecordingKeyValue.inMemoryGuest(definition, context, memory))
            .component(ComponentDefinition.builder("networked", "state.networked").build())
            .component(ComponentDefinition.builder("local", "state.local").build())
            .build();
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
    runtime.close();
  }

  @Test
  void theRuntimeMarksTheComponentGrantedABlockingCapability() {
    assertThat(runtime.components())
        .extracting(Pillion.LoadedComponent::name, Pillion.LoadedComponent::blocking)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("networked", true),
            org.assertj.core.groups.Tuple.tuple("local", false));
  }

  @Test
  void callsIntoTheBlockingComponentRunOnTheBlockingExecutor() throws Exception {
    for (String store : List.of("networked", "local")) {
      try (RawHttp http = new RawHttp(server.httpPort())) {
        http.request(
            "POST", "/v1.0/state/" + store, "[{\"key\":\"k\",\"value\":\"" + store + "\"}]");
        assertThat(http.read().status()).isEqualTo(204);
        http.request("GET", "/v1.0/state/" + store + "/k", null);
        assertThat(http.read().body()).isEqualTo("\"" + store + "\"");
      }
      DaprStateProtos.GetStateResponse viaGrpc =
          DaprGrpc.newBlockingStub(channel)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .getState(
                  DaprStateProtos.GetStateRequest.newBuilder()
                      .setStoreName(store)
                      .setKey("k")
                      .build());
      assertThat(viaGrpc.getData().toStringUtf8()).isEqualTo("\"" + store + "\"");
    }
    // Loading ran the guests' init on the loader's thread; the calls above came after.
    assertThat(network.threads())
        .filteredOn(thread -> !thread.startsWith("pillion-init-"))
        .isNotEmpty()
        .allSatisfy(thread -> assertThat(thread).startsWith("pillion-blocking-"));
    assertThat(memory.threads())
        .filteredOn(thread -> !thread.startsWith("pillion-init-"))
        .isNotEmpty()
        .noneSatisfy(thread -> assertThat(thread).startsWith("pillion-blocking-"));
  }
}
