package dev.pillion.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.PubSubBuildingBlock;
import dev.pillion.state.StateBuildingBlock;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.wasm.WasmHost;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Component types from providers: applied to the blocks they name after the built-in types, before
 * (and so overridden by) the application's; the Redis types name their module when it is missing.
 */
class ComponentTypeProviderTest {
  private static final StateBuildingBlock STATE = StateBuildingBlock.create();

  private final List<String> created = new CopyOnWriteArrayList<>();

  /** A factory that records who made the component. */
  private ComponentFactory<StateComponent> storeBy(String maker) {
    return (definition, context) -> {
      created.add(maker);
      return JavaInMemoryStateComponent.create(definition.name());
    };
  }

  private void load(ComponentLoader.Builder builder, String type) {
    try (WasmHost host = WasmHost.create()) {
      builder
          .build()
          .load(
              RuntimeContext.builder(host).build(),
              List.of(ComponentDefinition.builder("store", type).build()))
          .close();
    }
  }

  @Test
  void aProvidersTypeLoadsAndTheApplicationsOwnRegistrationWins() {
    ComponentTypeProvider provider =
        registrar -> {
          registrar.componentType(STATE, "state.provided", storeBy("provider"));
          registrar.componentType(STATE, "state.contested", storeBy("provider"));
          // A block this runtime does not have: ignored, not an error.
          registrar.componentType(PubSubBuildingBlock.create(), "pubsub.provided", (d, c) -> null);
        };
    ComponentLoader.Builder builder = ComponentLoader.builder(List.of(provider)).block(STATE);
    builder.componentType(STATE, "state.contested", storeBy("application"));

    load(builder, "state.provided");
    load(builder, "state.contested");
    assertThat(created).containsExactly("provider", "application");
  }

  @Test
  void aProvidersTypeMustBelongToItsBlock() {
    ComponentTypeProvider provider =
        registrar -> registrar.componentType(STATE, "pubsub.sneaky", storeBy("x"));
    assertThatThrownBy(() -> ComponentLoader.builder(List.of(provider)).block(STATE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("component type 'pubsub.sneaky' does not belong to building block");
  }

  @Test
  void redisTypesWithoutTheirModuleNameIt() {
    for (String type : List.of("state.redis", "pubsub.redis")) {
      assertThatThrownBy(
              () ->
                  Pillion.builder()
                      .component(
                          ComponentDefinition.builder("cache", type)
                              .metadata("redisHost", "localhost:6379")
                              .build())
                      .build())
          .isInstanceOf(ComponentConfigException.class)
          .hasMessageContaining("type '" + type + "' is not supported")
          .hasMessageContaining("provided by module pillion-redis (dev.pillion:pillion-redis)");
    }
  }

  @Test
  void anUnknownTypeNoModuleProvidesOnlyListsTheKnownTypes() {
    assertThatThrownBy(
            () ->
                Pillion.builder()
                    .component(ComponentDefinition.builder("cache", "state.nosuch").build())
                    .build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("type 'state.nosuch' is not supported (supported: ")
        .hasMessageNotContaining("provided by module");
  }
}
