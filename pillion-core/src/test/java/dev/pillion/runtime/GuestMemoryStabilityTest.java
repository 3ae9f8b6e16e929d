package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.secrets.SecretStore;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A component's memory does not grow with the number of calls: a guest that leaked per call would
 * run out of its memory cap and trap. The environment store leaked a copy of its environment per
 * call while its module ran wasi-libc's constructors on every call (see ReactorModulesTest in
 * pillion-bundled); with 40 pages (2.5 MiB) it trapped after about 10,000 gets.
 */
class GuestMemoryStabilityTest {
  private static final int CALLS = 40_000;

  @Test
  void theEnvironmentStoreServesManyGetsWithinASmallMemoryCap() {
    String value = "v".repeat(100);
    try (Pillion runtime =
        Pillion.builder()
            .appId("stable")
            .environment(Map.of("SECRET_100B", value))
            .component(
                ComponentDefinition.builder("env", "secretstores.local.env")
                    .metadata("wasm.maxMemoryPages", "40")
                    .build())
            .build()) {
      SecretStore env = runtime.secrets("env");
      for (int i = 0; i < CALLS; i++) {
        assertThat(env.get("SECRET_100B")).as("get %d", i).containsEntry("SECRET_100B", value);
      }
    }
  }
}
