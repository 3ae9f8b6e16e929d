package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import org.junit.jupiter.api.Test;

/**
 * A bundled component type given a module {@code url} is refused the same way in every block (the
 * check lives once, in {@code WasmBuildingBlock}), naming the block's {@code .wasm} type.
 */
class BundledTypeUrlTest {
  private static void assertRefused(String type, String wasmType) {
    assertThatThrownBy(
            () ->
                Pillion.builder()
                    .component(
                        ComponentDefinition.builder("c", type)
                            .metadata("url", "file://x.wasm")
                            .build())
                    .build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining(
            "metadata 'url' is not used by "
                + type
                + " (use type "
                + wasmType
                + " to load a module)");
  }

  @Test
  void everyBundledTypeRefusesAUrl() {
    assertRefused("state.in-memory", "state.wasm");
    assertRefused("pubsub.in-memory", "pubsub.wasm");
    assertRefused("secretstores.local.env", "secretstores.wasm");
    assertRefused("secretstores.local.file", "secretstores.wasm");
  }
}
