package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.block.BuildingBlock;
import dev.pillion.block.ComponentTypes;
import dev.pillion.block.RuntimeContext;
import dev.pillion.block.SecretProvider;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.MetadataValue;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata references resolved by the loader, after the secret stores are up: {@code envRef} from
 * the runtime's environment, {@code secretKeyRef} through the component's {@code auth.secretStore}
 * (here a block that provides secrets from its own metadata), with errors naming the component, the
 * field and what was missing.
 */
class MetadataReferencesTest {
  @TempDir Path resources;

  /** What each recording state component was given, by component name. */
  private final Map<String, Map<String, String>> given = new ConcurrentHashMap<>();

  /** A secret store whose secrets are its metadata entries; single-valued. */
  record Vault(Map<String, String> secrets) implements AutoCloseable {
    @Override
    public void close() {}
  }

  /** A block named {@code testsecrets} providing secrets. */
  static final class VaultBlock implements BuildingBlock<Vault, Vault>, SecretProvider<Vault> {
    @Override
    public String name() {
      return "testsecrets";
    }

    @Override
    public String componentNoun() {
      return "vault";
    }

    @Override
    public Class<Vault> apiType() {
      return Vault.class;
    }

    @Override
    public ComponentTypes<Vault> builtInTypes() {
      return ComponentTypes.<Vault>create("testsecrets")
          .register("testsecrets.map", (definition, context) -> new Vault(definition.metadata()));
    }

    @Override
    public Opener<Vault, Vault> prepare(RuntimeContext context) {
      return (name, component, metadata) -> component;
    }

    @Override
    public Set<String> features(Vault component) {
      return Set.of();
    }

    @Override
    public void close(Vault api) {
      api.close();
    }

    @Override
    public RuntimeException notFound(String name, Collection<String> loaded) {
      return new IllegalArgumentException(name);
    }

    @Override
    public Optional<Map<String, String>> secret(
        Vault api, String name, Map<String, String> metadata) {
      return Optional.ofNullable(api.secrets().get(name)).map(value -> Map.of(name, value));
    }
  }

  private Pillion.Builder builder() {
    return Pillion.builder()
        .buildingBlock(new VaultBlock())
        .environment(Map.of("DB_HOST", "db.local", "VAULT_TOKEN", "t0k3n"))
        .stateComponentType(
            "state.recording",
            (definition, context) -> {
              given.put(definition.name(), definition.metadata());
              return JavaInMemoryStateComponent.create(definition.name());
            });
  }

  private void write(String file, String yaml) throws IOException {
    Files.writeString(resources.resolve(file), yaml);
  }

  private static final String STORE =
      """
      apiVersion: dapr.io/v1alpha1
      kind: Component
      metadata: {name: store}
      spec:
        type: state.recording
        version: v1
        metadata:
        - {name: host, envRef: DB_HOST}
        - {name: password, secretKeyRef: {name: db-password}}
        - {name: user, secretKeyRef: {name: db-user, key: db-user}}
        - {name: plain, value: as-is}
      auth: {secretStore: vault}
      """;

  private static final String VAULT =
      """
      apiVersion: dapr.io/v1alpha1
      kind: Component
      metadata: {name: vault}
      spec:
        type: testsecrets.map
        version: v1
        metadata:
        - {name: db-password, value: s3cret}
        - {name: db-user, value: admin}
        - {name: token, envRef: VAULT_TOKEN}
      """;

  @Test
  void referencesResolveAfterTheSecretStoresLoadWhateverTheFileOrder() throws IOException {
    // a.yaml (the store) comes before b.yaml (its secret store).
    write("a.yaml", STORE);
    write("b.yaml", VAULT);
    try (Pillion runtime = builder().resourcesPath(resources).build()) {
      assertThat(given.get("store"))
          .containsExactly(
              Map.entry("host", "db.local"),
              Map.entry("password", "s3cret"),
              Map.entry("user", "admin"),
              Map.entry("plain", "as-is"));
      assertThat(runtime.components())
          .extracting(Pillion.LoadedComponent::name)
          .containsExactly("vault", "store");
    }
  }

  @Test
  void definitionsInCodeResolveToo() {
    try (Pillion runtime =
        builder()
            .component(
                ComponentDefinition.builder("vault", "testsecrets.map").metadata("k", "v").build())
            .component(
                ComponentDefinition.builder("store", "state.recording")
                    .metadata("key", MetadataValue.secretKeyRef("k", ""))
                    .metadata("host", MetadataValue.envRef("DB_HOST"))
                    .secretStore("vault")
                    .build())
            .build()) {
      assertThat(given.get("store"))
          .containsExactly(Map.entry("key", "v"), Map.entry("host", "db.local"));
    }
  }

  private void assertFails(String yaml, String... parts) throws IOException {
    write("store.yaml", yaml);
    assertThatThrownBy(() -> builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .satisfies(e -> assertThat(e.getMessage()).contains(parts));
  }

  @Test
  void anUnsetEnvRefNamesTheComponentFieldAndVariable() throws IOException {
    assertFails(
        STORE.replace("DB_HOST", "NOT_SET_ANYWHERE"),
        "component 'store'",
        "metadata 'host': envRef: environment variable 'NOT_SET_ANYWHERE' is not set");
  }

  @Test
  void aSecretKeyRefWithoutAuthSecretStoreIsAnError() throws IOException {
    write("vault.yaml", VAULT);
    assertFails(
        STORE.replace("auth: {secretStore: vault}\n", ""),
        "component 'store'",
        "metadata 'password' is a secretKeyRef (secret 'db-password') but the component names no"
            + " secret store: set auth.secretStore");
  }

  @Test
  void aSecretStoreThatIsNotLoadedIsAnError() throws IOException {
    write("vault.yaml", VAULT);
    assertFails(
        STORE.replace("secretStore: vault", "secretStore: kubernetes"),
        "component 'store'",
        "metadata 'password': secretKeyRef to secret 'db-password' in secret store 'kubernetes',"
            + " which is not loaded (secret stores: vault)");
  }

  @Test
  void aMissingSecretOrKeyNamesTheComponentFieldAndSecret() throws IOException {
    write("vault.yaml", VAULT);
    assertFails(
        STORE.replace("name: db-password", "name: nope"),
        "component 'store'",
        "metadata 'password': secret 'nope' was not found in secret store 'vault'");
    assertFails(
        STORE.replace("key: db-user", "key: other"),
        "component 'store'",
        "metadata 'user': secret 'db-user' in secret store 'vault' has no key 'other'");
  }

  @Test
  void anEmptySecretValueNamesTheComponentFieldAndSecret() throws IOException {
    write("vault.yaml", VAULT.replace("value: s3cret", "value: \"\""));
    assertFails(
        STORE,
        "component 'store'",
        "metadata 'password': secret 'db-password' in secret store 'vault' has an empty value for"
            + " key 'db-password'");
  }

  @Test
  void aSecretStoreReadsOnlyFromStoresBeforeItAndNeverFromItself() throws IOException {
    String second =
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: second}
        spec:
          type: testsecrets.map
          version: v1
          metadata:
          - {name: copied, secretKeyRef: {name: db-password}}
        auth: {secretStore: %s}
        """;
    write("a.yaml", VAULT);
    write("b.yaml", second.formatted("vault"));
    try (Pillion runtime = builder().resourcesPath(resources).build()) {
      assertThat(runtime.api(new VaultBlock(), "second").secrets())
          .containsExactly(Map.entry("copied", "s3cret"));
    }
    Files.delete(resources.resolve("b.yaml"));
    assertFails(
        second.formatted("second"),
        "component 'second'",
        "metadata 'copied': a secret store cannot read its own metadata from itself");
    Files.delete(resources.resolve("a.yaml"));
    write("z.yaml", VAULT);
    assertFails(
        second.formatted("vault"),
        "which is not loaded (no secret stores are loaded;"
            + " a secret store reads only from those defined before it)");
  }

  @Test
  void anUnresolvableComponentWithIgnoreErrorsIsSkipped() throws IOException {
    write(
        "store.yaml",
        STORE
            .replace("  version: v1\n", "  version: v1\n  ignoreErrors: true\n")
            .replace("DB_HOST", "NOT_SET_ANYWHERE"));
    try (Pillion runtime = builder().resourcesPath(resources).build()) {
      assertThat(runtime.stateStoreNames()).isEmpty();
      assertThat(given).isEmpty();
    }
  }

  @Test
  void noSecretValueAppearsInAnError() throws IOException {
    write("vault.yaml", VAULT);
    write("store.yaml", STORE.replace("key: db-user", "key: other"));
    assertThatThrownBy(() -> builder().resourcesPath(resources).build())
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret", "admin"));
  }
}
