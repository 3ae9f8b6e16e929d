package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.abi.PillionException;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.secrets.DefaultSecretStore;
import dev.pillion.secrets.SecretPermissionDeniedException;
import dev.pillion.secrets.SecretStoreNotFoundException;
import dev.pillion.secrets.SecretsBuildingBlock;
import dev.pillion.secrets.wasm.WasmSecretStoreComponent;
import dev.pillion.state.StateLimitException;
import dev.pillion.wasm.WasmComponent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secrets building block end to end, from Dapr YAML: both bundled stores, secret scoping from a
 * {@code kind: Configuration}, {@code secretKeyRef} in another component's metadata, and clear
 * errors for bad input.
 */
class SecretsRuntimeTest {
  @TempDir Path resources;
  @TempDir Path secretsDirectory;

  private void write(String file, String yaml) throws IOException {
    Files.writeString(resources.resolve(file), yaml);
  }

  private static String component(String name, String type, String metadata) {
    return "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: "
        + name
        + "\nspec:\n  type: "
        + type
        + "\n  version: v1\n  metadata:\n"
        + metadata;
  }

  private Path secretsFile(String json) throws IOException {
    return Files.writeString(secretsDirectory.resolve("secrets.json"), json);
  }

  private String fileStore(Path file) {
    return component(
        "localsecrets",
        "secretstores.local.file",
        "  - name: secretsFile\n    value: "
            + file
            + "\n  - name: nestedSeparator\n    value: .\n");
  }

  private static WasmComponent wasmOf(Pillion runtime, String store) {
    return ((WasmSecretStoreComponent) ((DefaultSecretStore) runtime.secrets(store)).component())
        .wasm();
  }

  @Test
  void aFileStoreServesItsSecretsThroughTheRuntime() throws IOException {
    write(
        "secrets.yaml",
        fileStore(secretsFile("{\"db\": {\"password\": \"s3cret\"}, \"token\": \"abc\"}")));
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      assertThat(runtime.secretStoreNames()).containsExactly("localsecrets");
      assertThat(runtime.secrets("localsecrets").get("db.password"))
          .containsExactly(Map.entry("db.password", "s3cret"));
      assertThat(runtime.secrets("localsecrets").bulkGet())
          .containsExactly(
              Map.entry("db.password", Map.of("db.password", "s3cret")),
              Map.entry("token", Map.of("token", "abc")));
      assertThat(runtime.components())
          .singleElement()
          .extracting(Pillion.LoadedComponent::type)
          .isEqualTo("secretstores.local.file");
      assertThatThrownBy(() -> runtime.secrets("vault"))
          .isInstanceOf(SecretStoreNotFoundException.class)
          .hasMessage("secret store 'vault': not found (configured secret stores: localsecrets)");
    }
  }

  @Test
  void aRelativeSecretsFileIsResolvedAgainstTheWorkingDirectory() throws IOException {
    // Surefire runs in the module's directory; the file goes under target/.
    Path directory = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "secrets");
    try {
      Files.writeString(directory.resolve("relative.json"), "{\"k\": \"v\"}");
      Path relative = Path.of("").toAbsolutePath().relativize(directory.resolve("relative.json"));
      assertThat(relative.isAbsolute()).isFalse();
      write("secrets.yaml", fileStore(relative));
      try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
        assertThat(runtime.secrets("localsecrets").get("k")).containsExactly(Map.entry("k", "v"));
      }
    } finally {
      Files.deleteIfExists(directory.resolve("relative.json"));
      Files.deleteIfExists(directory);
    }
  }

  @Test
  void anEnvStoreServesOnlyItsPrefixedVariablesAndNeverDaprs() throws IOException {
    write(
        "env.yaml",
        component("envsecrets", "secretstores.local.env", "  - name: prefix\n    value: MYAPP_\n"));
    Map<String, String> environment =
        Map.of(
            "MYAPP_DB_PASSWORD", "s3cret",
            "MYAPP_", "only the prefix",
            "OTHER", "not mine",
            "DAPR_API_TOKEN", "token");
    try (Pillion runtime =
        Pillion.builder().resourcesPath(resources).environment(environment).build()) {
      assertThat(runtime.secrets("envsecrets").bulkGet())
          .containsExactly(Map.entry("DB_PASSWORD", Map.of("DB_PASSWORD", "s3cret")));
      assertThat(runtime.secrets("envsecrets").get("DB_PASSWORD"))
          .containsExactly(Map.entry("DB_PASSWORD", "s3cret"));
      // The guest was given exactly that one variable.
      assertThat(wasmOf(runtime, "envsecrets").spec().environment())
          .containsExactly(Map.entry("MYAPP_DB_PASSWORD", "s3cret"));
    }
  }

  @Test
  void theHostGrantsTheEnvStoreOnlyWhatItMayServe() {
    Map<String, String> environment =
        Map.of(
            "MYAPP_A", "a",
            "MYAPP_", "prefix only",
            "myapp_b", "other case",
            "OTHER", "x",
            "DAPR_HTTP_PORT", "3500",
            "dapr_api_token", "t",
            "APP_API_TOKEN", "t",
            "MYAPP_DAPR_X", "served: the name does not start with DAPR_");
    assertThat(SecretsBuildingBlock.grantedEnvironment("MYAPP_", environment))
        .containsExactly(
            Map.entry("MYAPP_A", "a"),
            Map.entry("MYAPP_DAPR_X", "served: the name does not start with DAPR_"));
    assertThat(SecretsBuildingBlock.grantedEnvironment("", environment))
        .containsOnlyKeys("MYAPP_A", "MYAPP_", "myapp_b", "OTHER", "MYAPP_DAPR_X");
  }

  @Test
  void aConfigurationScopesTheSecretsAnAppMayRead() throws IOException {
    write(
        "secrets.yaml",
        fileStore(secretsFile("{\"allowed\": \"1\", \"denied\": \"2\", \"other\": \"3\"}")));
    write(
        "config.yaml",
        """
        apiVersion: dapr.io/v1alpha1
        kind: Configuration
        metadata: {name: appconfig}
        spec:
          tracing: {samplingRate: "1"}
          secrets:
            scopes:
            - storeName: localsecrets
              defaultAccess: allow
              deniedSecrets: [denied]
        """);
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      assertThat(runtime.secrets("localsecrets").get("allowed")).containsEntry("allowed", "1");
      assertThatThrownBy(() -> runtime.secrets("localsecrets").get("denied"))
          .isInstanceOf(SecretPermissionDeniedException.class)
          .hasMessage(
              "secret store 'localsecrets': access denied by policy to get \"denied\" from"
                  + " \"localsecrets\"");
      assertThat(runtime.secrets("localsecrets").bulkGet()).containsOnlyKeys("allowed", "other");
    }
  }

  @Test
  void aBadSecretsConfigurationNamesTheFileAndField() throws IOException {
    String config =
        """
        apiVersion: dapr.io/v1alpha1
        kind: Configuration
        metadata: {name: appconfig}
        spec:
          secrets:
            scopes:
            - {storeName: a, defaultAccess: %s}
            - {storeName: %s}
        """;
    write("config.yaml", config.formatted("maybe", "b"));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("config.yaml, configuration 'appconfig'")
        .hasMessageContaining(
            "spec.secrets.scopes[0].defaultAccess must be allow or deny, got 'maybe'");
    write("config.yaml", config.formatted("deny", "a"));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("spec.secrets.scopes[1]: storeName 'a' is repeated");
  }

  @Test
  void aStateStoreTakesItsMetadataFromASecret() throws IOException {
    write("secrets.yaml", fileStore(secretsFile("{\"limits\": {\"items\": \"1\"}}")));
    write(
        "state.yaml",
        component(
                "statestore",
                "state.in-memory",
                "  - name: wasm.keyvalue.maxItems\n"
                    + "    secretKeyRef: {name: limits.items, key: limits.items}\n")
            + "auth:\n  secretStore: localsecrets\n");
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      runtime.state("statestore").save("first", "1");
      // The capacity of one item came from the secret.
      assertThatThrownBy(() -> runtime.state("statestore").save("second", "2"))
          .isInstanceOf(StateLimitException.class);
    }
  }

  @Test
  void aComponentReferringToAMissingSecretNamesComponentFieldAndSecret() throws IOException {
    write("secrets.yaml", fileStore(secretsFile("{\"token\": \"abc\"}")));
    write(
        "state.yaml",
        component(
                "statestore",
                "state.in-memory",
                "  - name: keyPrefix\n    secretKeyRef: {name: prefix}\n")
            + "auth:\n  secretStore: localsecrets\n");
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("component 'statestore'")
        .hasMessageContaining(
            "metadata 'keyPrefix': secret 'prefix' was not found in secret store 'localsecrets'");
  }

  @Test
  void aSecretKeyRefToAnUnsetVariableOfAnEnvStoreNamesComponentFieldAndSecret() throws IOException {
    write(
        "env.yaml",
        component("envsecrets", "secretstores.local.env", "  - name: prefix\n    value: MYAPP_\n"));
    write(
        "state.yaml",
        component(
                "statestore",
                "state.in-memory",
                "  - name: keyPrefix\n    secretKeyRef: {name: KEY_PREFIX}\n")
            + "auth:\n  secretStore: envsecrets\n");
    Pillion.Builder builder =
        Pillion.builder().resourcesPath(resources).environment(Map.of("MYAPP_OTHER", "x"));
    // As daprd's store does, the store itself answers the unset variable with an empty value.
    assertThatThrownBy(builder::build)
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("component 'statestore'")
        .hasMessageContaining(
            "metadata 'keyPrefix': secret 'KEY_PREFIX' in secret store 'envsecrets' has an empty"
                + " value for key 'KEY_PREFIX'")
        .hasMessageContaining("secretstores.local.env answers so for a variable that is not set");
    try (Pillion runtime =
        Pillion.builder()
            .resourcesPath(resources)
            .environment(Map.of("MYAPP_KEY_PREFIX", "none"))
            .build()) {
      assertThat(runtime.secrets("envsecrets").get("KEY_PREFIX"))
          .containsExactly(Map.entry("KEY_PREFIX", "none"));
      assertThat(runtime.secrets("envsecrets").get("UNSET"))
          .as("GetSecret of an unset variable, as daprd answers it")
          .containsExactly(Map.entry("UNSET", ""));
    }
  }

  @Test
  void aMissingSecretsFileNamesTheUsersPath() throws IOException {
    Path missing = secretsDirectory.resolve("missing.json");
    write("secrets.yaml", fileStore(missing));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("component 'localsecrets'")
        .hasMessageContaining("secretsFile '" + missing + "'")
        .hasMessageContaining("cannot be read: no such file");
  }

  @Test
  void malformedSecretsJsonNamesTheUsersPathAndThePosition() throws IOException {
    Path file = secretsFile("{\n  \"db\": {\"user\": \"admin\",}\n}");
    write("secrets.yaml", fileStore(file));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(PillionException.class)
        .hasMessageContaining("component 'localsecrets'")
        .hasMessageContaining("secretsFile '" + file + "'")
        .hasMessageContaining(
            "which the component reads as /secrets/secrets.json: init failed: secrets file"
                + " /secrets/secrets.json is not valid JSON: invalid character '}' looking for"
                + " beginning of object key string at line 2, column 26");
  }

  @Test
  void aFileStoreWithoutSecretsFileIsAConfigError() throws IOException {
    write(
        "secrets.yaml",
        component(
            "localsecrets",
            "secretstores.local.file",
            "  - name: multiValued\n    value: \"false\"\n"));
    assertThatThrownBy(() -> Pillion.builder().resourcesPath(resources).build())
        .isInstanceOf(ComponentConfigException.class)
        .hasMessageContaining("component 'localsecrets'")
        .hasMessageContaining("metadata 'secretsFile' is required");
  }

  @Test
  void theSecretsFilePropertyIsMatchedInAnyLetterCase() throws IOException {
    Path file = secretsFile("{\"k\": \"v\"}");
    write(
        "secrets.yaml",
        component(
            "localsecrets",
            "secretstores.local.file",
            "  - name: SecretsFile\n    value: " + file + "\n"));
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      assertThat(runtime.secrets("localsecrets").get("k")).containsExactly(Map.entry("k", "v"));
    }
  }

  @Test
  void theFileStoreSeesOnlyItsFilesDirectory() throws IOException {
    Path file = secretsFile("{\"k\": \"v\"}");
    write("secrets.yaml", fileStore(file));
    try (Pillion runtime = Pillion.builder().resourcesPath(resources).build()) {
      // The component's one grant is the file's directory, read-only, at /secrets.
      assertThat(wasmOf(runtime, "localsecrets").spec().preopens())
          .singleElement()
          .satisfies(
              preopen -> {
                assertThat(preopen.guestPath()).isEqualTo("/secrets");
                assertThat(preopen.hostDirectory()).isEqualTo(secretsDirectory.toRealPath());
                assertThat(preopen.writable()).isFalse();
              });
    }
  }
}
