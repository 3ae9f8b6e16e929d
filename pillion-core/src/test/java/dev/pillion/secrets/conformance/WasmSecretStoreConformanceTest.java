package dev.pillion.secrets.conformance;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.block.RuntimeContext;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.secrets.SecretsBuildingBlock;
import dev.pillion.secrets.spi.SecretStoreComponent;
import dev.pillion.wasm.WasmHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled Rust secret stores pass the secret store conformance suite on both engines, created
 * as the runtime creates them (the block's component types, with their host grants): {@code
 * secretstores.local.file} over a JSON file, {@code secretstores.local.env} over a given
 * environment with a prefix and variables it must not serve.
 */
class WasmSecretStoreConformanceTest {
  /**
   * What both stores declare over single-valued secrets: none ({@code local.file} declares
   * MULTIPLE_KEY_VALUES_PER_SECRET only with {@code multiValued}, as in contrib).
   */
  private static final Set<String> FEATURES = Set.of();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static WasmHost host;

  @TempDir static Path directory;

  @BeforeAll
  static void startHost() {
    host = WasmHost.create();
  }

  @AfterAll
  static void stopHost() {
    host.close();
  }

  private static SecretStoreComponent create(
      String type, Map<String, String> metadata, Map<String, String> environment) {
    ComponentDefinition definition =
        ComponentDefinition.builder(SecretStoreConformanceSuite.STORE, type)
            .metadata(metadata)
            .build();
    return SecretsBuildingBlock.create()
        .builtInTypes()
        .factory(type)
        .orElseThrow()
        .create(definition, RuntimeContext.builder(host).environment(environment).build());
  }

  private static SecretStoreComponent fileStore(Map<String, String> secrets, String engine) {
    Path file = directory.resolve("secrets-" + engine + ".json");
    try {
      Files.writeString(file, JSON.writeValueAsString(secrets));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return create(
        SecretsBuildingBlock.LOCAL_FILE,
        Map.of("secretsFile", file.toString(), "wasm.engine", engine),
        Map.of());
  }

  private static SecretStoreComponent envStore(Map<String, String> secrets, String engine) {
    Map<String, String> environment = new LinkedHashMap<>();
    secrets.forEach((name, value) -> environment.put("CONFTEST_" + name, value));
    // What the store must not serve: outside the prefix, and Dapr's own variables.
    environment.put("OTHER", "other");
    environment.put("CONFTEST_", "just-the-prefix");
    environment.put("DAPR_API_TOKEN", "token");
    return create(
        SecretsBuildingBlock.LOCAL_ENV,
        Map.of("prefix", "CONFTEST_", "wasm.engine", engine),
        environment);
  }

  @Nested
  class LocalFileCompiled extends SecretStoreConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected SecretStoreComponent createComponent(Map<String, String> secrets) {
      return fileStore(secrets, "compiled");
    }

    @Override
    protected boolean missingSecretIsEmpty() {
      return false;
    }
  }

  @Nested
  class LocalFileInterpreted extends SecretStoreConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected SecretStoreComponent createComponent(Map<String, String> secrets) {
      return fileStore(secrets, "interpreter");
    }

    @Override
    protected boolean missingSecretIsEmpty() {
      return false;
    }
  }

  @Nested
  class LocalEnvCompiled extends SecretStoreConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected SecretStoreComponent createComponent(Map<String, String> secrets) {
      return envStore(secrets, "compiled");
    }

    @Override
    protected boolean missingSecretIsEmpty() {
      return true;
    }
  }

  @Nested
  class LocalEnvInterpreted extends SecretStoreConformanceSuite {
    @Override
    protected Set<String> expectedFeatures() {
      return FEATURES;
    }

    @Override
    protected SecretStoreComponent createComponent(Map<String, String> secrets) {
      return envStore(secrets, "interpreter");
    }

    @Override
    protected boolean missingSecretIsEmpty() {
      return true;
    }
  }
}
