package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.state.SaveRequest;
import dev.pillion.state.StateException;
import dev.pillion.state.StateStore;
import dev.pillion.state.StateStoreNotFoundException;
import dev.pillion.testing.TestGuests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A misbehaving component fails each call with a clear error, keeps serving afterwards, and never
 * takes down the runtime's other components.
 */
class RuntimeRobustnessTest {
  @TempDir Path resources;
  private Pillion runtime;
  private StateStore good;
  private StateStore bad;

  private void write(String file, String yaml) throws IOException {
    Files.writeString(resources.resolve(file), yaml);
  }

  private static String component(String name, String type, String... metadata) {
    StringBuilder yaml =
        new StringBuilder(
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: "
                + name
                + "\nspec:\n  type: "
                + type
                // Compiling a module at load takes seconds on a loaded 2-core machine; what this
                // test is about starts after the load.
                + "\n  version: v1\n  initTimeout: 60s\n  metadata:\n  - name: keyPrefix\n"
                + "    value: none\n");
    for (int i = 0; i < metadata.length; i += 2) {
      yaml.append("  - name: ")
          .append(metadata[i])
          .append("\n    value: \"")
          .append(metadata[i + 1])
          .append("\"\n");
    }
    return yaml.toString();
  }

  @BeforeEach
  void start() throws IOException {
    write("good.yaml", component("good", "state.in-memory"));
    write(
        "bad.yaml",
        component(
            "bad",
            "state.wasm",
            "url",
            "file://" + TestGuests.path("misbehaving-state"),
            "wasm.callTimeout",
            "2s",
            "wasm.maxMemoryPages",
            "256",
            "wasm.maxMessageBytes",
            "1048576"));
    runtime = Pillion.builder().resourcesPath(resources).appId("robust").build();
    good = runtime.state("good");
    bad = runtime.state("bad");
    good.save("survivor", "still here");
  }

  @AfterEach
  void stop() {
    runtime.close();
  }

  private void assertOthersStillServe() {
    assertThat(good.get("survivor")).map(i -> i.valueAsString()).contains("still here");
    bad.save("after", "ok");
    assertThat(bad.get("after")).map(i -> i.valueAsString()).contains("ok");
  }

  @Test
  void guestTrap() {
    assertThatThrownBy(() -> bad.get("trap"))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("state store 'bad'")
        .hasMessageContaining("guest trapped");
    assertOthersStillServe();
  }

  @Test
  void infiniteLoopTimesOut() {
    assertThatThrownBy(() -> bad.get("loop"))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("exceeded the timeout of 2000 ms");
    assertOthersStillServe();
  }

  @Test
  void memoryGrowthPastTheCap(@TempDir Path greedyResources) throws IOException {
    // A store of its own whose call timeout cannot be what ends the call: the guest fills 16 MiB
    // (the cap) one touched MiB at a time, which took more than the shared store's 2 s on a
    // loaded machine with a cold JIT, and then the timeout's error came back instead of the cap's.
    Files.writeString(
        greedyResources.resolve("greedy.yaml"),
        component(
            "greedy",
            "state.wasm",
            "url",
            "file://" + TestGuests.path("misbehaving-state"),
            "wasm.callTimeout",
            "10m",
            "wasm.maxMemoryPages",
            "256"));
    try (Pillion greedyRuntime =
        Pillion.builder().resourcesPath(greedyResources).appId("robust").build()) {
      StateStore greedy = greedyRuntime.state("greedy");
      assertThatThrownBy(() -> greedy.get("grow"))
          .isInstanceOf(StateException.class)
          .hasMessageContaining("state store 'greedy'")
          .hasMessageContaining("out of memory");
      greedy.save("after", "ok");
      assertThat(greedy.get("after")).map(i -> i.valueAsString()).contains("ok");
    }
    assertOthersStillServe();
  }

  @Test
  void malformedProtobufFromTheGuest() {
    assertThatThrownBy(() -> bad.get("garbage"))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("malformed response to get");
    assertOthersStillServe();
  }

  @Test
  void oversizedPayloads() {
    assertThatThrownBy(() -> bad.save("big", new byte[2 * 1024 * 1024]))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("exceeds the limit of 1048576 bytes");
    assertThatThrownBy(() -> bad.get("huge"))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("response of");
    assertOthersStillServe();
  }

  @Test
  void guestErrorsKeepTheirMeaning() {
    assertThatThrownBy(() -> bad.get("error"))
        .isInstanceOf(dev.pillion.state.InvalidStateRequestException.class);
    assertThatThrownBy(() -> bad.get("etag"))
        .isInstanceOf(dev.pillion.state.EtagMismatchException.class);
    assertOthersStillServe();
  }

  @Test
  void unknownStoreNamesTheConfiguredOnes() {
    assertThatThrownBy(() -> runtime.state("nope"))
        .isInstanceOf(StateStoreNotFoundException.class)
        .hasMessageContaining("'nope'")
        .hasMessageContaining("bad, good");
  }

  @Test
  void ttlOnAStoreWithoutTtlIsRefused() {
    assertThatThrownBy(() -> bad.save(SaveRequest.builder("k", "v").ttlInSeconds(5).build()))
        .isInstanceOf(dev.pillion.state.StateNotSupportedException.class)
        .hasMessageContaining("does not support TTL");
  }

  @Test
  void transactionsOnAStoreWithoutThemAreRefused() {
    assertThatThrownBy(() -> bad.transact(java.util.List.of()))
        .isInstanceOf(dev.pillion.state.StateNotSupportedException.class)
        .hasMessageContaining("does not support transactions");
  }
}
