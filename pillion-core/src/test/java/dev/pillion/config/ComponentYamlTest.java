package dev.pillion.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComponentYamlTest {
  @TempDir Path dir;

  private final ComponentYaml yaml = ComponentYaml.create();

  private Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content);
  }

  @Test
  void readsADaprStateComponent() throws IOException {
    write(
        "statestore.yaml",
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: statestore
        spec:
          type: state.in-memory
          version: v1
          initTimeout: 1m30s
          ignoreErrors: true
          metadata:
          - name: keyPrefix
            value: name
          - name: actorStateStore
            value: true
          - name: maxItems
            value: 100
          - name: password
            envRef: REDIS_PASSWORD
        scopes:
        - orders
        - payments
        """);
    List<ComponentDefinition> definitions = yaml.loadFolder(dir);
    assertThat(definitions).hasSize(1);
    ComponentDefinition definition = definitions.get(0);
    assertThat(definition.name()).isEqualTo("statestore");
    assertThat(definition.type()).isEqualTo("state.in-memory");
    assertThat(definition.buildingBlock()).isEqualTo("state");
    assertThat(definition.version()).isEqualTo("v1");
    assertThat(definition.initTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(definition.ignoreErrors()).isTrue();
    // References stay references: the runtime resolves them when it loads the component.
    assertThat(definition.metadataValues())
        .containsExactly(
            Map.entry("keyPrefix", MetadataValue.literal("name")),
            Map.entry("actorStateStore", MetadataValue.literal("true")),
            Map.entry("maxItems", MetadataValue.literal("100")),
            Map.entry("password", MetadataValue.envRef("REDIS_PASSWORD")));
    assertThat(definition.isResolved()).isFalse();
    assertThatThrownBy(definition::metadata)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("metadata ['password'] refer to values the runtime resolves");
    assertThat(definition.scopes()).containsExactly("orders", "payments");
    assertThat(definition.inScope("orders")).isTrue();
    assertThat(definition.inScope("shipping")).isFalse();
    assertThat(definition.baseDirectory()).contains(dir.toAbsolutePath());
  }

  @Test
  void readsMultipleDocumentsAndSkipsOtherDaprKinds() throws IOException {
    write(
        "all.yml",
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: one
        spec:
          type: state.in-memory
          version: v1
        ---
        apiVersion: dapr.io/v2alpha1
        kind: Subscription
        metadata:
          name: sub
        spec:
          pubsubname: pubsub
          topic: orders
          routes:
            default: /orders
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Configuration
        metadata:
          name: tracing
        spec:
          tracing: {}
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: two
        spec:
          type: state.wasm
          version: v1
          metadata:
          - name: url
            value: file://store.wasm
        """);
    write("notes.txt", "not yaml at all: [");
    assertThat(yaml.loadFolder(dir))
        .extracting(ComponentDefinition::name)
        .containsExactly("one", "two");
  }

  private void assertInvalid(String content, String... messageParts) throws IOException {
    Path file = write("bad.yaml", content);
    assertThatThrownBy(() -> yaml.loadFile(file))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining(file.toString())
        .satisfies(e -> assertThat(e.getMessage()).contains(messageParts));
  }

  @Test
  void malformedYamlNamesTheFile() throws IOException {
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: [unclosed\n", "not valid YAML");
  }

  @Test
  void missingNameTypeOrVersionIsAnError() throws IOException {
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {}\nspec: {type: state.in-memory, version: v1}\n",
        "metadata.name is missing");
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\nspec: {version: v1}\n",
        "component 's'",
        "spec.type is missing");
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\nspec: {type: state.in-memory}\n",
        "spec.version is missing");
  }

  @Test
  void secretKeyRefAndAuthAreReadAsData() throws IOException {
    Path file =
        write(
            "redis.yaml",
            """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: {name: s}
            spec:
              type: state.redis
              version: v1
              metadata:
              - name: redisPassword
                secretKeyRef: {name: redis, key: password}
              - name: redisUser
                secretKeyRef: {name: redis-user}
            auth:
              secretStore: vault
            """);
    ComponentDefinition definition = yaml.loadFile(file).get(0);
    assertThat(definition.metadataValues())
        .containsExactly(
            Map.entry("redisPassword", MetadataValue.secretKeyRef("redis", "password")),
            Map.entry("redisUser", MetadataValue.secretKeyRef("redis-user", "")));
    assertThat(definition.secretStore()).contains("vault");
  }

  @Test
  void badSecretKeyRefsAndAuthAreErrors() throws IOException {
    String component =
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\n"
            + "spec:\n  type: state.in-memory\n  version: v1\n  metadata:\n";
    assertInvalid(
        component + "  - {name: pw, secretKeyRef: {key: password}}\n",
        "component 's'",
        "spec.metadata[0] (pw).secretKeyRef.name is missing");
    assertInvalid(
        component + "  - {name: pw, secretKeyRef: redis}\n",
        "spec.metadata[0] (pw).secretKeyRef must be a mapping");
    assertInvalid(
        component + "  - {name: pw, secretKeyRef: {name: redis, field: x}}\n",
        "unknown field 'spec.metadata[0] (pw).secretKeyRef.field'");
    assertInvalid(
        component + "  - {name: pw, value: x, secretKeyRef: {name: redis}}\n",
        "exactly one of 'value', 'envRef' or 'secretKeyRef'");
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\nspec: {type: state.in-memory, version: v1}\nauth: {store: vault}\n",
        "unknown field 'auth.store'");
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\nspec: {type: state.in-memory, version: v1}\nauth: {secretStore: ''}\n",
        "auth.secretStore is empty");
  }

  @Test
  void unknownFieldsAreErrors() throws IOException {
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\nspec: {type: state.in-memory, version: v1, mystery: 1}\n",
        "unknown field 'spec.mystery'");
  }

  @Test
  void metadataEntryNeedsValueOrEnvRef() throws IOException {
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\nspec:\n  type: state.in-memory\n  version: v1\n  metadata:\n  - {name: host}\n",
        "exactly one of 'value', 'envRef' or 'secretKeyRef'");
  }

  @Test
  void badInitTimeoutAndIgnoreErrorsAreErrors() throws IOException {
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\nspec: {type: state.in-memory, version: v1, initTimeout: soon}\n",
        "spec.initTimeout",
        "'soon' is not a duration");
    // Found by ComponentYamlFuzzTest: the refusal came from the builder, without file or field.
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\nspec: {type: state.in-memory, version: v1, initTimeout: 0s}\n",
        "component 's': spec.initTimeout must be positive, got '0s'");
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\nspec: {type: state.in-memory, version: v1, ignoreErrors: maybe}\n",
        "spec.ignoreErrors must be true or false");
  }

  // Found by ComponentYamlFuzzTest and its seeds: these overflowed the stack or printed (or hashed)
  // a structure with 2^n leaves.
  @Test
  void recursiveAliasesAreRefusedWithTheLine() throws IOException {
    assertInvalid("kind: &a [[*a]]\n", "line 1: an alias refers to a node that contains it");
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\n"
            + "spec:\n  type: state.in-memory\n  version: v1\n  metadata:\n  - {name: x, value: &v [[*v]]}\n",
        "line 8: an alias refers to a node that contains it");
  }

  @Test
  void collectionKeysAndDeepNestingAreRefused() throws IOException {
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: s}\n"
            + "spec: {type: state.in-memory, version: v1, [a, b]: 1}\n",
        "line 4: a mapping key must be a plain value");
    assertInvalid(
        "kind: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n",
        "line 1: nested deeper than 64 levels");
  }

  @Test
  void aliasesSharingANodeManyTimesAreNotExpanded() throws IOException {
    // 24 levels of two aliases each: within SnakeYAML's 50 aliases, 2^24 leaves if expanded.
    StringBuilder yaml = new StringBuilder("l0: &l0 [x, x]\n");
    for (int i = 1; i <= 24; i++) {
      yaml.append("l").append(i).append(": &l").append(i);
      yaml.append(" [*l").append(i - 1).append(", *l").append(i - 1).append("]\n");
    }
    yaml.append("kind: *l24\n");
    assertInvalid(yaml.toString(), "kind must be a single value, got a list");
  }

  @Test
  void wrongApiVersionOrUnknownKindIsAnError() throws IOException {
    assertInvalid(
        "apiVersion: dapr.io/v2\nkind: Component\nmetadata: {name: s}\nspec: {type: state.in-memory, version: v1}\n",
        "apiVersion 'dapr.io/v2'");
    assertInvalid(
        "apiVersion: dapr.io/v1alpha1\nkind: Gadget\nmetadata: {name: s}\n",
        "unknown kind 'Gadget'");
  }

  @Test
  void missingFolderIsAnError() {
    assertThatThrownBy(() -> yaml.loadFolder(dir.resolve("nope")))
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("is not a directory");
  }

  @Test
  void durationsParseLikeGo() {
    assertThat(Durations.parse("5s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("1h2m3s")).isEqualTo(Duration.ofSeconds(3723));
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThatThrownBy(() -> Durations.parse("5")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Durations.parse("5 s")).isInstanceOf(IllegalArgumentException.class);
  }
}
