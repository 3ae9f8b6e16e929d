package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.wasm.types.FunctionType;
import dev.pillion.Pillion;
import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.abi.SecretStoreContract;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.DeleteRequest;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.WasmSettings;
import dev.pillion.pubsub.wasm.WasmPubSubComponent;
import dev.pillion.secrets.wasm.WasmSecretStoreComponent;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.state.wasm.WasmStateComponent;
import dev.pillion.wasm.HostModule;
import dev.pillion.wasm.HostModuleContext;
import dev.pillion.wasm.capability.KeyValueModule;
import dev.pillion.wasm.capability.KeyValueStore;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A component is blocking when a host capability granted to it declares itself blocking (for every
 * block's Wasm adapter), or when a component written in Java says so; the runtime reports it for
 * each loaded component.
 */
class BlockingComponentsTest {
  /**
   * A capability that waits on the network, as a Redis client would; the guests import nothing of
   * it.
   */
  private static final HostModule NETWORK =
      new HostModule() {
        @Override
        public String capability() {
          return "network";
        }

        @Override
        public String importModule() {
          return "pillion_test_network_v1";
        }

        @Override
        public Map<String, FunctionType> functions() {
          return Map.of();
        }

        @Override
        public boolean isBlocking() {
          return true;
        }

        @Override
        public Binding bind(HostModuleContext context) {
          return List::<HostFunction>of;
        }
      };

  /** A store written in Java that says it waits on I/O. */
  private static final class RemoteStore implements StateComponent {
    @Override
    public String name() {
      return "remote";
    }

    @Override
    public boolean isBlocking() {
      return true;
    }

    @Override
    public Set<String> features() {
      return Set.of();
    }

    @Override
    public GetResponse get(GetRequest request) {
      return GetResponse.getDefaultInstance();
    }

    @Override
    public void set(SetRequest request) {}

    @Override
    public void delete(DeleteRequest request) {}

    @Override
    public void close() {}
  }

  private static KeyValueModule keyValue(ComponentDefinition definition, boolean ordered) {
    return KeyValueModule.create(KeyValueStore.builder(definition.name()).ordered(ordered).build());
  }

  @Test
  void theRuntimeReportsWhichComponentsAreBlocking() {
    try (Pillion runtime =
        Pillion.builder()
            .appId("app")
            .stateComponentType(
                "state.networked",
                (definition, context) ->
                    WasmStateComponent.load(
                        context.host(),
                        WasmSettings.spec(definition, BundledComponents.stateInMemory())
                            .contract(StateStoreContract.CONTRACT)
                            .grant(keyValue(definition, false))
                            .grant(NETWORK)
                            .build(),
                        Map.of()))
            .pubsubComponentType(
                "pubsub.networked",
                (definition, context) ->
                    WasmPubSubComponent.load(
                        context.host(),
                        WasmSettings.spec(definition, BundledComponents.pubsubInMemory())
                            .contract(PubSubComponentContract.CONTRACT)
                            .grant(keyValue(definition, true))
                            .grant(NETWORK)
                            .build(),
                        Map.of()))
            .secretStoreComponentType(
                "secretstores.networked",
                (definition, context) ->
                    WasmSecretStoreComponent.load(
                        context.host(),
                        WasmSettings.spec(definition, BundledComponents.secretStoresLocalEnv())
                            .contract(SecretStoreContract.CONTRACT)
                            .grant(NETWORK)
                            .build(),
                        Map.of()))
            .component(ComponentDefinition.builder("kv", "state.networked").build())
            .component(ComponentDefinition.builder("broker", "pubsub.networked").build())
            .component(ComponentDefinition.builder("vault", "secretstores.networked").build())
            .component(ComponentDefinition.builder("memory", "state.in-memory").build())
            .component(ComponentDefinition.builder("queue", "pubsub.in-memory").build())
            .component(ComponentDefinition.builder("env", "secretstores.local.env").build())
            .stateStore("remote", new RemoteStore())
            .stateStore("java", JavaInMemoryStateComponent.create("java"))
            .build()) {
      assertThat(runtime.components())
          .extracting(Pillion.LoadedComponent::name, Pillion.LoadedComponent::blocking)
          .containsExactlyInAnyOrder(
              tuple("kv", true),
              tuple("broker", true),
              tuple("vault", true),
              tuple("memory", false),
              tuple("queue", false),
              tuple("env", false),
              tuple("remote", true),
              tuple("java", false));
    }
  }
}
