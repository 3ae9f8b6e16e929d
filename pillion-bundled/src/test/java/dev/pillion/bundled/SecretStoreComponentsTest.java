package dev.pillion.bundled;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.pillion.abi.GuestError;
import dev.pillion.abi.SecretStoreContract;
import dev.pillion.abi.secretstores.BulkGetSecretRequest;
import dev.pillion.abi.secretstores.BulkGetSecretResponse;
import dev.pillion.abi.secretstores.FeaturesRequest;
import dev.pillion.abi.secretstores.FeaturesResponse;
import dev.pillion.abi.secretstores.GetSecretRequest;
import dev.pillion.abi.secretstores.GetSecretResponse;
import dev.pillion.abi.secretstores.InitRequest;
import dev.pillion.abi.secretstores.Metadata;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.Engine;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.ModuleSource;
import dev.pillion.wasm.WasmComponent;
import dev.pillion.wasm.WasmHost;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bundled secret stores through the Wasm host on both engines and the raw ABI: the file store
 * reads its JSON through a read-only preopen, the env store reads only the variables its spec
 * grants. (The secrets building block on top of them belongs to the core.)
 */
class SecretStoreComponentsTest {
  private static final String SECRETS_JSON =
      """
      {
        "db": {"user": "admin", "password": "s3cret"},
        "token": "abc",
        "port": 5432
      }
      """;

  private static WasmHost host;

  @TempDir Path directory;

  @BeforeAll
  static void startHost() {
    host = WasmHost.create();
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  private static WasmComponent load(
      ModuleSource source,
      Engine engine,
      Map<String, String> metadata,
      UnaryOperator<ComponentSpec.Builder> grants) {
    byte[] init =
        InitRequest.newBuilder()
            .setMetadata(Metadata.newBuilder().setName("secrets").putAllProperties(metadata))
            .build()
            .toByteArray();
    return host.load(
        grants
            .apply(
                ComponentSpec.builder()
                    .name("secrets")
                    .contract(SecretStoreContract.CONTRACT)
                    .source(source)
                    .engine(engine)
                    .initializer(instance -> instance.call(SecretStoreContract.INIT, init)))
            .build());
  }

  private WasmComponent fileStore(Engine engine, Map<String, String> metadata) {
    return fileStore(engine, metadata, directory);
  }

  private static WasmComponent fileStore(
      Engine engine, Map<String, String> metadata, Path secretsDirectory) {
    ModuleSource source =
        engine == Engine.COMPILED
            ? BundledComponents.secretStoresLocalFile()
            : BundledComponents.secretStoresLocalFileWasm();
    return load(
        source,
        engine,
        metadata,
        spec ->
            spec.preopenDirectory(
                BundledComponents.SECRETS_FILE_GUEST_DIRECTORY, secretsDirectory));
  }

  private static WasmComponent envStore(
      Engine engine, Map<String, String> metadata, Map<String, String> environment) {
    ModuleSource source =
        engine == Engine.COMPILED
            ? BundledComponents.secretStoresLocalEnv()
            : BundledComponents.secretStoresLocalEnvWasm();
    return load(source, engine, metadata, spec -> spec.environment(environment));
  }

  private static Map<String, String> get(WasmComponent store, String name)
      throws InvalidProtocolBufferException {
    byte[] response =
        store.call(
            SecretStoreContract.GET_SECRET,
            GetSecretRequest.newBuilder().setName(name).build().toByteArray());
    return GetSecretResponse.parseFrom(response).getDataMap();
  }

  private static Map<String, Map<String, String>> bulk(WasmComponent store)
      throws InvalidProtocolBufferException {
    byte[] response =
        store.call(
            SecretStoreContract.BULK_GET_SECRET,
            BulkGetSecretRequest.getDefaultInstance().toByteArray());
    return BulkGetSecretResponse.parseFrom(response).getDataMap().entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getSecretsMap()));
  }

  private static java.util.List<String> features(WasmComponent store)
      throws InvalidProtocolBufferException {
    return FeaturesResponse.parseFrom(
            store.call(
                SecretStoreContract.FEATURES, FeaturesRequest.getDefaultInstance().toByteArray()))
        .getFeaturesList();
  }

  private void writeSecrets(String json) throws IOException {
    Files.writeString(directory.resolve("secrets.json"), json);
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void fileStoreServesFlattenedSecrets(Engine engine) throws Exception {
    writeSecrets(SECRETS_JSON);
    try (WasmComponent store = fileStore(engine, Map.of("secretsFile", "/secrets/secrets.json"))) {
      assertThat(features(store)).isEmpty();
      assertThat(get(store, "db:password")).containsExactly(Map.entry("db:password", "s3cret"));
      assertThat(get(store, "token")).containsExactly(Map.entry("token", "abc"));
      // Non-string values read as Dapr's Go code prints them.
      assertThat(get(store, "port")).containsExactly(Map.entry("port", "%!s(float64=5432)"));
      assertThat(bulk(store))
          .isEqualTo(
              Map.of(
                  "db:user", Map.of("db:user", "admin"),
                  "db:password", Map.of("db:password", "s3cret"),
                  "token", Map.of("token", "abc"),
                  "port", Map.of("port", "%!s(float64=5432)")));
      assertThatThrownBy(() -> get(store, "db"))
          .isInstanceOfSatisfying(
              GuestErrorException.class,
              e -> {
                assertThat(e.error().is(GuestError.NOT_FOUND)).isTrue();
                assertThat(e.error().text()).isEqualTo("secret db not found");
              });
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void fileStoreMultiValuedKeepsTopLevelSecrets(Engine engine) throws Exception {
    writeSecrets(SECRETS_JSON);
    try (WasmComponent store =
        fileStore(
            engine,
            Map.of(
                "secretsFile", "/secrets/secrets.json",
                "multiValued", "true",
                "nestedSeparator", "."))) {
      assertThat(features(store))
          .containsExactly(SecretStoreContract.MULTIPLE_KEY_VALUES_PER_SECRET);
      assertThat(get(store, "db")).isEqualTo(Map.of("user", "admin", "password", "s3cret"));
      assertThat(bulk(store))
          .isEqualTo(
              Map.of(
                  "db", Map.of("user", "admin", "password", "s3cret"),
                  "token", Map.of("token", "abc")));
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void fileStoreInitErrorsNameTheFileAndThePosition(Engine engine) throws Exception {
    writeSecrets("{\n  \"db\": {\"user\": \"admin\",}\n}");
    assertThatThrownBy(() -> fileStore(engine, Map.of("secretsFile", "/secrets/secrets.json")))
        .isInstanceOf(GuestErrorException.class)
        .hasMessageContaining(
            "secrets file /secrets/secrets.json is not valid JSON: invalid character '}' looking"
                + " for beginning of object key string at line 2, column 26 (byte offset 27)");
    assertThatThrownBy(() -> fileStore(engine, Map.of("secretsFile", "/secrets/missing.json")))
        .isInstanceOf(GuestErrorException.class)
        .hasMessageContaining("secrets file /secrets/missing.json cannot be read");
    assertThatThrownBy(() -> fileStore(engine, Map.of()))
        .isInstanceOf(GuestErrorException.class)
        .hasMessageContaining("missing local secrets file in metadata (property 'secretsFile')");
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void fileStoreReadsNothingOutsideItsPreopen(Engine engine) throws Exception {
    Path outside = Files.createDirectory(directory.resolve("outside"));
    Files.writeString(outside.resolve("other.json"), "{\"stolen\": \"yes\"}");
    Path granted = Files.createDirectory(directory.resolve("granted"));
    Files.writeString(granted.resolve("secrets.json"), SECRETS_JSON);
    for (String path :
        new String[] {"/secrets/../outside/other.json", "/etc/passwd", "secrets.json"}) {
      assertThatThrownBy(() -> fileStore(engine, Map.of("secretsFile", path), granted))
          .as(path)
          .isInstanceOf(GuestErrorException.class)
          .hasMessageContaining("secrets file " + path + " cannot be read");
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void envStoreServesOnlyGrantedVariablesWithItsPrefix(Engine engine) throws Exception {
    Map<String, String> granted =
        Map.of("MYAPP_DB_PASSWORD", "s3cret", "MYAPP_TOKEN", "t0ken", "UNRELATED", "x");
    try (WasmComponent store = envStore(engine, Map.of("prefix", "MYAPP_"), granted)) {
      assertThat(features(store)).isEmpty();
      assertThat(get(store, "DB_PASSWORD")).containsExactly(Map.entry("DB_PASSWORD", "s3cret"));
      // A variable that is not there reads as empty, as in daprd.
      assertThat(get(store, "MISSING")).containsExactly(Map.entry("MISSING", ""));
      // The guest filters by the prefix itself, whatever it was given.
      assertThat(bulk(store))
          .isEqualTo(
              Map.of(
                  "DB_PASSWORD", Map.of("DB_PASSWORD", "s3cret"),
                  "TOKEN", Map.of("TOKEN", "t0ken")));
    }
    assertThat(System.getenv("PATH")).isNotNull();
    try (WasmComponent store = envStore(engine, Map.of(), Map.of())) {
      assertThat(get(store, "PATH"))
          .as("the host's environment is not the guest's")
          .containsExactly(Map.entry("PATH", ""));
      assertThat(bulk(store)).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void envStoreNeverServesDaprsOwnVariables(Engine engine) throws Exception {
    Map<String, String> granted = Map.of("DAPR_API_TOKEN", "secret", "APP_API_TOKEN", "secret");
    try (WasmComponent store = envStore(engine, Map.of(), granted)) {
      assertThat(get(store, "DAPR_API_TOKEN")).containsExactly(Map.entry("DAPR_API_TOKEN", ""));
      assertThat(get(store, "APP_API_TOKEN")).containsExactly(Map.entry("APP_API_TOKEN", ""));
      assertThat(bulk(store)).isEmpty();
    }
  }
}
