package dev.pillion.server.apps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.testing.TestGuests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Many apps in one runtime: 200 hosted apps, one module compiled once, each answering its own
 * invocations and keeping its own state in the shared store under its own key prefix.
 */
class ManyAppsTest {
  private static final int APPS = 200;

  @Test
  void twoHundredAppsEachAnswerAndKeepTheirOwnState() {
    Path module = TestGuests.path("app-contract");
    List<String> ids = IntStream.range(0, APPS).mapToObj(i -> "app-" + i).toList();
    List<AppManifest> manifests = new ArrayList<>();
    for (String id : ids) {
      manifests.add(AppManifest.builder(id, module).instances(1).build());
    }
    try (Pillion runtime =
            Pillion.builder()
                .appId("host")
                .hostedApps(ids)
                .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
                .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
                .build();
        WasmAppHost host = WasmAppHost.start(runtime, manifests, "127.0.0.1")) {
      assertThat(host.apps()).hasSize(APPS);
      for (int i = 0; i < APPS; i++) {
        // App i is asked to count i % 3 + 1 times: each answer is its own running count.
        for (int n = 1; n <= i % 3 + 1; n++) {
          InvocationResponse answer =
              runtime.invoke(ids.get(i), InvocationRequest.builder("count").verb("POST").build());
          assertThat(answer.status()).as(answer.bodyText()).isEqualTo(200);
          assertThat(answer.bodyText()).as(ids.get(i)).isEqualTo(Integer.toString(n));
        }
      }
      for (int i = 0; i < APPS; i++) {
        String counted =
            host.app(ids.get(i))
                .orElseThrow()
                .runtime()
                .state("statestore")
                .get("counter")
                .map(item -> new String(item.value(), StandardCharsets.UTF_8))
                .orElse("");
        assertThat(counted).as(ids.get(i)).isEqualTo(Integer.toString(i % 3 + 1));
      }
      assertThat(runtime.state("statestore").get("counter"))
          .as("the host's own key space")
          .isEmpty();
    }
  }
}
