package dev.pillion.sdk.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.server.fixtures.ThreadRecordingKeyValue;
import io.dapr.client.DaprClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The embedded faces run calls into a blocking component (one granted a capability that waits on
 * the network, as {@code state.redis} is) on the bounded blocking executor, as the server does:
 * never on the loopback HTTP listener's single event loop, which every SDK HTTP call shares, nor on
 * the caller's thread of the in-process gRPC transport. A component that is not blocking is still
 * called on the thread that received the request.
 */
class EmbeddedBlockingCallsTest {
  private final ThreadRecordingKeyValue network = new ThreadRecordingKeyValue("networked", true);
  private final ThreadRecordingKeyValue memory = new ThreadRecordingKeyValue("local", false);
  private Pillion runtime;
  private EmbeddedDapr dapr;

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("embedded-blocking")
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
    dapr = EmbeddedDapr.start(runtime);
  }

  @AfterEach
  void stop() {
    dapr.close();
    runtime.close();
  }

  /** Calls made after loading: init ran the guests on the loader's threads. */
  private static List<String> callThreads(ThreadRecordingKeyValue capability) {
    return capability.threads().stream().filter(name -> !name.startsWith("pillion-init-")).toList();
  }

  @Test
  void httpCallsIntoABlockingComponentLeaveTheLoopbackEventLoop() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    for (String store : List.of("networked", "local")) {
      HttpResponse<String> saved =
          http.send(
              HttpRequest.newBuilder(URI.create(dapr.httpEndpoint() + "/v1.0/state/" + store))
                  .timeout(Duration.ofSeconds(10))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "[{\"key\":\"k\",\"value\":\"" + store + "\"}]"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(saved.statusCode()).isEqualTo(204);
      HttpResponse<String> read =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(dapr.httpEndpoint() + "/v1.0/state/" + store + "/k"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(read.body()).isEqualTo("\"" + store + "\"");
    }
    assertThat(callThreads(network))
        .isNotEmpty()
        .allSatisfy(thread -> assertThat(thread).startsWith("pillion-blocking-"));
    assertThat(callThreads(memory))
        .as("the component that does not block stays on the listener's event loop")
        .isNotEmpty()
        .noneSatisfy(thread -> assertThat(thread).startsWith("pillion-blocking-"));
  }

  @Test
  void sdkCallsIntoABlockingComponentRunOnTheBlockingExecutor() throws Exception {
    try (DaprClient client = dapr.client()) {
      client.saveState("networked", "k", "v").block(Duration.ofSeconds(10));
      assertThat(client.getState("networked", "k", String.class).block(Duration.ofSeconds(10)))
          .satisfies(state -> assertThat(state.getValue()).isEqualTo("v"));
    }
    assertThat(callThreads(network))
        .isNotEmpty()
        .allSatisfy(thread -> assertThat(thread).startsWith("pillion-blocking-"));
  }
}
