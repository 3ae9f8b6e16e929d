package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.abi.PillionException;
import dev.pillion.block.BuildingBlock;
import dev.pillion.block.ComponentTypes;
import dev.pillion.block.RuntimeContext;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PubSubBuildingBlock;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.state.StateBuildingBlock;
import dev.pillion.state.StateStoreNotFoundException;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.wasm.WasmHost;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The building-block SPI as the runtime uses it: a block added in code loads its components from
 * definitions like the built-in ones, every block takes components given in code, lookups are
 * generic, and a failed build closes what it loaded.
 */
class BuildingBlockTest {
  /** A component of the test block: answers a greeting, records that it was closed. */
  record Greeter(String name, String greeting, List<String> closed) implements AutoCloseable {
    @Override
    public void close() {
      closed.add(name);
    }
  }

  /** The test block's API over a greeter. */
  record Greeting(String text, Greeter greeter) {}

  /** A block named {@code greeting}, with one type, {@code greeting.fixed}. */
  static final class GreetingBlock implements BuildingBlock<Greeter, Greeting> {
    final List<String> closed = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "greeting";
    }

    @Override
    public String componentNoun() {
      return "greeter";
    }

    @Override
    public Class<Greeting> apiType() {
      return Greeting.class;
    }

    @Override
    public ComponentTypes<Greeter> builtInTypes() {
      return ComponentTypes.<Greeter>create("greeting")
          .register(
              "greeting.fixed",
              (definition, context) ->
                  new Greeter(
                      definition.name(),
                      definition.metadata().get("text") + ", " + context.appId(),
                      closed));
    }

    @Override
    public Opener<Greeter, Greeting> prepare(RuntimeContext context) {
      return (name, component, metadata) -> new Greeting(component.greeting(), component);
    }

    @Override
    public Set<String> features(Greeter component) {
      return Set.of("FRIENDLY");
    }

    @Override
    public void close(Greeting api) {
      api.greeter().close();
    }

    @Override
    public RuntimeException notFound(String name, Collection<String> loaded) {
      return new IllegalArgumentException("no greeter " + name + " among " + loaded);
    }
  }

  @Test
  void aBlockAddedInCodeLoadsItsComponentsLikeTheBuiltInOnes() {
    GreetingBlock block = new GreetingBlock();
    try (Pillion runtime =
        Pillion.builder()
            .appId("app")
            .buildingBlock(block)
            .component(
                ComponentDefinition.builder("hello", "greeting.fixed")
                    .metadata("text", "hello")
                    .build())
            .build()) {
      assertThat(runtime.api(block, "hello").text()).isEqualTo("hello, app");
      assertThat(runtime.names(block)).containsExactly("hello");
      assertThat(runtime.components())
          .singleElement()
          .isEqualTo(
              new Pillion.LoadedComponent(
                  "hello", "greeting.fixed", "v1", List.of("FRIENDLY"), false));
      assertThatThrownBy(() -> runtime.api(block, "bye"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("no greeter bye among [hello]");
    }
  }

  @Test
  void unknownBuildingBlocksNameTheRegisteredOnes() {
    assertThatThrownBy(
            () ->
                Pillion.builder()
                    .buildingBlock(new GreetingBlock())
                    .component(ComponentDefinition.builder("b", "bindings.http").build())
                    .build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining(
            "building block 'bindings' is not supported yet (supported: secretstores, state, pubsub, greeting)");
  }

  @Test
  void aComponentTypeMustBelongToItsBlock() {
    assertThatThrownBy(
            () ->
                Pillion.builder()
                    .stateComponentType(
                        "pubsub.sneaky", (d, c) -> JavaInMemoryStateComponent.create(d.name())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "component type 'pubsub.sneaky' does not belong to building block 'state'");
    assertThatThrownBy(
            () ->
                Pillion.builder().componentType(new GreetingBlock(), "greeting.x", (d, c) -> null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("building block 'greeting' is not registered");
    assertThatThrownBy(() -> Pillion.builder().buildingBlock(StateBuildingBlock.create()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("building block 'state' is already registered");
  }

  @Test
  void genericAndTypedLookupsReachTheSameStore() {
    try (Pillion runtime =
        Pillion.builder()
            .stateStore("reference", JavaInMemoryStateComponent.create("reference"))
            .build()) {
      assertThat(runtime.api(StateBuildingBlock.create(), "reference"))
          .isSameAs(runtime.state("reference"));
      assertThatThrownBy(() -> runtime.api(StateBuildingBlock.create(), "other"))
          .isInstanceOf(StateStoreNotFoundException.class)
          .hasMessageContaining("configured state stores: reference");
    }
  }

  @Test
  void aPubSubComponentGivenInCodePublishesAndSubscribes() throws InterruptedException {
    try (WasmHost host = WasmHost.create()) {
      PubSubComponent component =
          PubSubBuildingBlock.create()
              .builtInTypes()
              .factory(PubSubBuildingBlock.IN_MEMORY)
              .orElseThrow()
              .create(
                  ComponentDefinition.builder("bus", PubSubBuildingBlock.IN_MEMORY).build(),
                  RuntimeContext.builder(host).build());
      try (Pillion runtime = Pillion.builder().appId("shop").pubsub("bus", component).build()) {
        assertThat(runtime.pubsubNames()).containsExactly("bus");
        assertThat(runtime.components())
            .extracting(Pillion.LoadedComponent::type)
            .containsExactly("pubsub.WasmPubSubComponent");
        CountDownLatch received = new CountDownLatch(1);
        try (Subscription subscription =
            runtime
                .pubsub("bus")
                .subscribe(
                    SubscriptionOptions.builder("orders").build(),
                    event -> {
                      received.countDown();
                      return DeliveryResult.SUCCESS;
                    })) {
          runtime.pubsub("bus").publish(PublishRequest.builder("orders", "{}").build());
          assertThat(received.await(10, TimeUnit.SECONDS)).isTrue();
        }
      }
    }
  }

  @Test
  void aFailedBuildClosesWhatItLoadedAndTheComponentsGivenInCode() {
    GreetingBlock block = new GreetingBlock();
    List<String> closedInCode = new CopyOnWriteArrayList<>();
    StateComponent given =
        new ClosingStateComponent(JavaInMemoryStateComponent.create("given"), closedInCode);
    Pillion.Builder builder =
        Pillion.builder()
            .buildingBlock(block)
            .stateStore("given", given)
            .component(
                ComponentDefinition.builder("first", "greeting.fixed")
                    .metadata("text", "hi")
                    .build())
            .component(ComponentDefinition.builder("broken", "greeting.missing").build());
    assertThatThrownBy(builder::build)
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining(
            "type 'greeting.missing' is not supported (supported: greeting.fixed)");
    assertThat(block.closed).containsExactly("first");
    assertThat(closedInCode).containsExactly("given");
  }

  @Test
  void componentsCloseWithTheirBlocksInReverseRegistrationOrder() {
    GreetingBlock block = new GreetingBlock();
    List<String> closed = block.closed;
    Pillion runtime =
        Pillion.builder()
            .buildingBlock(block)
            .stateStore(
                "store",
                new ClosingStateComponent(JavaInMemoryStateComponent.create("store"), closed))
            .component(
                ComponentDefinition.builder("greeter", "greeting.fixed")
                    .metadata("text", "hi")
                    .build())
            .build();
    runtime.close();
    // greeting was registered after state, so it closes first.
    assertThat(closed).containsExactly("greeter", "store");
  }

  /** A state component that records its closing. */
  private record ClosingStateComponent(JavaInMemoryStateComponent delegate, List<String> closed)
      implements StateComponent {
    @Override
    public String name() {
      return delegate.name();
    }

    @Override
    public Set<String> features() {
      return delegate.features();
    }

    @Override
    public dev.pillion.abi.state.GetResponse get(dev.pillion.abi.state.GetRequest request) {
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
      closed.add(delegate.name());
      delegate.close();
    }
  }

  @Test
  void theLoaderKeepsDaprsFailureRules() {
    // ignoreErrors skips a component of an unknown block; the others load.
    try (Pillion runtime =
        Pillion.builder()
            .component(ComponentDefinition.builder("b", "bindings.http").ignoreErrors(true).build())
            .stateStore("s", JavaInMemoryStateComponent.create("s"))
            .build()) {
      assertThat(runtime.stateStoreNames()).containsExactly("s");
    }
    assertThatThrownBy(
            () ->
                Pillion.builder()
                    .stateComponentType(
                        "state.failing",
                        (definition, context) -> {
                          throw new IllegalStateException("no backend");
                        })
                    .component(ComponentDefinition.builder("f", "state.failing").build())
                    .build())
        .isInstanceOf(PillionException.class)
        .hasMessageContaining("component 'f'")
        .hasMessageContaining("no backend");
  }
}
