package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.abi.PillionException;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.testing.TestGuests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading components from YAML and code: types, scopes, ignoreErrors, and the errors for bad
 * definitions.
 */
class RuntimeConfigurationTest {
  @TempDir Path resources;

  private void write(String file, String yaml) throws IOException {
    Files.writeString(resources.resolve(file), yaml);
  }

  private static String yaml(String name, String type, String extraSpec) {
    return "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: "
        + name
        + "\nspec:\n  type: "
        + type
        + "\n  version: v1\n"
        + extraSpec;
  }

  @Test
  void loadsTheBundledInMemoryStoreFromDaprYaml() throws IOException {
    write("statestore.yaml", yaml("statestore", "state.in-memory", ""));
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("orders").build()) {
      runtime.state("statestore").save("k", "v");
      assertThat(runtime.state("statestore").get("k")).isPresent();
      assertThat(runtime.components())
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.type()).isEqualTo("state.in-memory");
                assertThat(c.capabilities()).contains("ETAG", "TRANSACTIONAL", "TTL");
              });
    }
  }

  @Test
  void loadsAWasmModuleByRelativeUrl() throws IOException {
    Files.copy(TestGuests.path("misbehaving-state"), resources.resolve("store.wasm"));
    write(
        "store.yaml",
        yaml("custom", "state.wasm", "  metadata:\n  - name: url\n    value: file://store.wasm\n"));
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      runtime.state("custom").save("k", "v");
      assertThat(runtime.state("custom").get("k")).map(i -> i.valueAsString()).contains("v");
    }
  }

  /** A user's module built with the PDK's key-value bindings: the capability is granted by YAML. */
  private void writeKeyValueModule(String capabilities) throws IOException {
    try (var in =
        getClass()
            .getClassLoader()
            .getResourceAsStream("dev/pillion/bundled/wasm/state-in-memory.wasm")) {
      Files.write(resources.resolve("kv-store.wasm"), in.readAllBytes());
    }
    write(
        "kv.yaml",
        yaml(
            "kv",
            "state.wasm",
            "  metadata:\n  - name: url\n    value: file://kv-store.wasm\n"
                + "  - name: wasm.instances\n    value: pooled\n"
                + capabilities));
  }

  @Test
  void aModuleGrantedTheKeyValueCapabilityByYamlLoadsAndStores() throws IOException {
    writeKeyValueModule("  - name: wasm.capabilities\n    value: log, keyvalue\n");
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      runtime.state("kv").save("k", "v");
      assertThat(runtime.state("kv").get("k")).map(i -> i.valueAsString()).contains("v");
    }
  }

  @Test
  void aModuleImportingACapabilityItWasNotGrantedIsRefusedNamingIt() throws IOException {
    writeKeyValueModule("");
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .hasMessageContaining("'kv'")
        .hasMessageContaining("pillion_keyvalue_v1.")
        .hasMessageContaining("no capability granted to it provides")
        .hasMessageContaining("log (env.*)");
    write(
        "kv.yaml",
        yaml(
            "kv",
            "state.wasm",
            "  metadata:\n  - name: wasm.capabilities\n    value: disk\n  - name: url\n    value: file://kv-store.wasm\n"));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .hasMessageContaining("wasm.capabilities")
        .hasMessageContaining("unknown capability 'disk'");
  }

  @Test
  void badYamlFailsTheRuntimeNamingTheFile() throws IOException {
    write("broken.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: [\n");
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("broken.yaml");
  }

  @Test
  void aFileThatIsNotWasmIsAClearError() throws IOException {
    Files.writeString(resources.resolve("fake.wasm"), "definitely not wasm");
    write(
        "fake.yaml",
        yaml("fake", "state.wasm", "  metadata:\n  - name: url\n    value: file://fake.wasm\n"));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(PillionException.class)
        .hasMessageContaining("component 'fake'")
        .hasMessageContaining("fake.yaml")
        .hasMessageContaining("not a WebAssembly module");
  }

  @Test
  void ignoreErrorsSkipsAFailingComponent() throws IOException {
    write("good.yaml", yaml("good", "state.in-memory", ""));
    write(
        "missing.yaml",
        yaml(
            "missing",
            "state.wasm",
            "  ignoreErrors: true\n  metadata:\n  - name: url\n    value: file://absent.wasm\n"));
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      assertThat(runtime.stateStoreNames()).containsExactly("good");
    }
  }

  @Test
  void unsupportedTypesAndBuildingBlocksAreNamed() throws IOException {
    write("redis.yaml", yaml("cache", "state.redis", ""));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("type 'state.redis' is not supported")
        .hasMessageContaining("state.in-memory, state.wasm");
    Files.delete(resources.resolve("redis.yaml"));
    write("bindings.yaml", yaml("cron", "bindings.cron", ""));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("building block 'bindings' is not supported yet");
  }

  @Test
  void wasmUrlMustBeAFileUrl() {
    ComponentDefinition definition =
        ComponentDefinition.builder("remote", "state.wasm")
            .metadata("url", "https://example.com/x.wasm")
            .build();
    assertThatThrownBy(() -> Pillion.builder().component(definition).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("only file:// URLs are supported");
  }

  @Test
  void invalidHostSettingsNameTheField() {
    ComponentDefinition definition =
        ComponentDefinition.builder("s", "state.in-memory")
            .metadata("wasm.maxMemoryPages", "lots")
            .build();
    assertThatThrownBy(() -> Pillion.builder().component(definition).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("wasm.maxMemoryPages");
    ComponentDefinition unknown =
        ComponentDefinition.builder("s", "state.in-memory").metadata("wasm.turbo", "yes").build();
    assertThatThrownBy(() -> Pillion.builder().component(unknown).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("unknown metadata 'wasm.turbo'");
  }

  @Test
  void scopesLimitWhichAppsLoadAComponent() throws IOException {
    write("scoped.yaml", yaml("scoped", "state.in-memory", "") + "scopes:\n- billing\n");
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("orders").build()) {
      assertThat(runtime.stateStoreNames()).isEmpty();
    }
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).appId("billing").build()) {
      assertThat(runtime.stateStoreNames()).containsExactly("scoped");
    }
  }

  @Test
  void duplicateNamesAreAnError() throws IOException {
    write("a.yaml", yaml("same", "state.in-memory", ""));
    write("b.yaml", yaml("same", "state.in-memory", ""));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("already defined");
  }

  @Test
  void programmaticComponentsAndTypes() {
    try (Pillion runtime =
        Pillion.builder()
            .appId("app")
            .stateStore("reference", JavaInMemoryStateComponent.create("reference"))
            .stateComponentType(
                "state.custom",
                (definition, host) -> JavaInMemoryStateComponent.create(definition.name()))
            .component(ComponentDefinition.builder("custom", "state.custom").build())
            .component(
                ComponentDefinition.builder("wasm", "state.in-memory")
                    .metadata("keyPrefix", "name")
                    .build())
            .build()) {
      assertThat(runtime.stateStoreNames())
          .containsExactlyInAnyOrder("reference", "custom", "wasm");
      runtime.state("custom").save("k", "v");
      assertThat(runtime.state("custom").get("k")).isPresent();
    }
  }

  @Test
  void theInterpreterIsAnExplicitOptIn() {
    try (Pillion runtime =
        Pillion.builder()
            .component(
                ComponentDefinition.builder("slow", "state.in-memory")
                    .metadata("wasm.engine", "interpreter")
                    .build())
            .build()) {
      runtime.state("slow").save("k", "v");
      assertThat(runtime.state("slow").get("k")).isPresent();
    }
  }

  @Test
  void initTimeoutStopsASlowComponent() {
    Pillion.Builder builder =
        Pillion.builder()
            .stateComponentType(
                "state.slow",
                (definition, host) -> {
                  try {
                    Thread.sleep(1500);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return JavaInMemoryStateComponent.create(definition.name());
                })
            .component(
                ComponentDefinition.builder("slow", "state.slow")
                    .initTimeout(java.time.Duration.ofMillis(200))
                    .build());
    assertThatThrownBy(builder::build)
        .isInstanceOf(PillionException.class)
        .hasMessageContaining("component 'slow'")
        .hasMessageContaining("did not finish within initTimeout PT0.2S");
  }
}
