package dev.pillion.secrets;

import dev.pillion.abi.SecretStoreContract;
import dev.pillion.abi.secretstores.GetSecretRequest;
import dev.pillion.block.ComponentTypes;
import dev.pillion.block.RuntimeContext;
import dev.pillion.block.SecretProvider;
import dev.pillion.block.WasmBuildingBlock;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.ComponentYaml;
import dev.pillion.config.WasmSettings;
import dev.pillion.secrets.spi.SecretStoreComponent;
import dev.pillion.secrets.wasm.WasmSecretStoreComponent;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.Preopen;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The secrets building block: components {@code secretstores.*}, opened as a {@link SecretStore}
 * limited by the store's scope from the runtime's {@code kind: Configuration} resources. Its
 * components load before every other block's, and their secrets resolve other components' {@code
 * secretKeyRef}s ({@link SecretProvider}).
 *
 * <p>Built-in types:
 *
 * <ul>
 *   <li>{@code secretstores.local.file}: the bundled Rust store reading a JSON file ({@code
 *       secretsFile}, absolute or relative to the working directory, as daprd resolves it); the
 *       host grants the component read access to that file's directory and nothing else;
 *   <li>{@code secretstores.local.env}: the bundled Rust store serving environment variables; the
 *       host grants it exactly the variables it may serve (those starting with its {@code prefix}
 *       and longer than it, never {@code APP_API_TOKEN} or {@code DAPR_*});
 *   <li>{@code secretstores.wasm}: any secret store module, from metadata {@code url}.
 * </ul>
 */
public final class SecretsBuildingBlock extends WasmBuildingBlock<SecretStoreComponent, SecretStore>
    implements SecretProvider<SecretStore> {
  /** The block's name and type prefix. */
  public static final String NAME = "secretstores";

  /** The bundled JSON file store. */
  public static final String LOCAL_FILE = "secretstores.local.file";

  /** The bundled environment variable store. */
  public static final String LOCAL_ENV = "secretstores.local.env";

  /** Any Wasm secret store module. */
  public static final String WASM = NAME + ".wasm";

  /** The metadata naming {@code local.file}'s JSON file. */
  public static final String SECRETS_FILE = "secretsFile";

  /** The metadata naming {@code local.env}'s variable prefix. */
  public static final String PREFIX = "prefix";

  private static final SecretsBuildingBlock INSTANCE = new SecretsBuildingBlock();

  private SecretsBuildingBlock() {
    super(
        NAME,
        "secret store",
        SecretStore.class,
        SecretStoreContract.CONTRACT,
        WasmSecretStoreComponent::load);
  }

  /**
   * The block.
   *
   * @return the block (stateless, shared)
   */
  public static SecretsBuildingBlock create() {
    return INSTANCE;
  }

  @Override
  public ComponentTypes<SecretStoreComponent> builtInTypes() {
    return wasmTypes().register(LOCAL_FILE, this::localFile).register(LOCAL_ENV, this::localEnv);
  }

  @Override
  public Opener<SecretStoreComponent, SecretStore> prepare(RuntimeContext context) {
    SecretScopes scopes = SecretScopes.read(context.documents(ComponentYaml.CONFIGURATION));
    return (name, component, metadata) ->
        DefaultSecretStore.create(name, component, scopes.of(name));
  }

  @Override
  public void close(SecretStore api) {
    ((DefaultSecretStore) api).component().close();
  }

  @Override
  public RuntimeException notFound(String name, Collection<String> loaded) {
    return new SecretStoreNotFoundException(name, loaded);
  }

  @Override
  public Optional<Map<String, String>> secret(
      SecretStore api, String name, Map<String, String> metadata) {
    try {
      return Optional.of(
          ((DefaultSecretStore) api)
              .component()
              .getSecret(
                  GetSecretRequest.newBuilder().setName(name).putAllMetadata(metadata).build())
              .getDataMap());
    } catch (SecretNotFoundException e) {
      return Optional.empty();
    }
  }

  /**
   * The environment variables {@code secretstores.local.env} may serve, as daprd's store selects
   * them on Linux: with a prefix, those whose names start with it (case-sensitively) and are longer
   * than it; never {@code APP_API_TOKEN} or a name starting with {@code DAPR_} (in any case).
   *
   * @param prefix the component's {@code prefix} metadata (empty: every variable)
   * @param environment the runtime's environment
   * @return the variables to grant, sorted by name
   */
  public static Map<String, String> grantedEnvironment(
      String prefix, Map<String, String> environment) {
    Map<String, String> granted = new TreeMap<>();
    environment.forEach(
        (variable, value) -> {
          String upper = variable.toUpperCase(Locale.ROOT);
          boolean daprs = upper.equals("APP_API_TOKEN") || upper.startsWith("DAPR_");
          boolean matches =
              prefix.isEmpty()
                  || (variable.length() > prefix.length() && variable.startsWith(prefix));
          if (matches && !daprs) {
            granted.put(variable, value);
          }
        });
    return granted;
  }

  private SecretStoreComponent localEnv(ComponentDefinition definition, RuntimeContext context) {
    ComponentSpec.Builder spec =
        bundledSpec(
            definition,
            LOCAL_ENV,
            BundledComponents::secretStoresLocalEnv,
            BundledComponents::secretStoresLocalEnvWasm);
    Map<String, String> properties = WasmSettings.guestProperties(definition);
    String prefix = property(definition, properties, PREFIX).map(Map.Entry::getValue).orElse("");
    return load(
        context,
        spec.environment(grantedEnvironment(prefix, context.environment())).build(),
        properties);
  }

  private SecretStoreComponent localFile(ComponentDefinition definition, RuntimeContext context) {
    ComponentSpec.Builder spec =
        bundledSpec(
            definition,
            LOCAL_FILE,
            BundledComponents::secretStoresLocalFile,
            BundledComponents::secretStoresLocalFileWasm);
    Map<String, String> properties = new LinkedHashMap<>(WasmSettings.guestProperties(definition));
    Map.Entry<String, String> setting =
        property(definition, properties, SECRETS_FILE)
            .orElseThrow(
                () ->
                    new ComponentConfigException(
                        definition
                            + ": metadata '"
                            + SECRETS_FILE
                            + "' is required (the JSON file of secrets, absolute or relative to"
                            + " the working directory)"));
    String userPath = setting.getValue();
    Path file = Path.of(userPath);
    Path absolute = file.isAbsolute() ? file : Path.of("").toAbsolutePath().resolve(file);
    String described = "secretsFile '" + userPath + "' (" + absolute.normalize() + ")";
    Path real;
    try {
      // The real path: a link into another directory must be granted where it points.
      real = absolute.toRealPath();
    } catch (IOException e) {
      throw new ComponentConfigException(
          definition + ": " + described + " cannot be read: " + reason(e), e);
    }
    if (!Files.isRegularFile(real)) {
      throw new ComponentConfigException(definition + ": " + described + " is not a file");
    }
    String guestPath =
        BundledComponents.SECRETS_FILE_GUEST_DIRECTORY + "/" + real.getFileName().toString();
    properties.put(setting.getKey(), guestPath);
    spec.preopen(
        Preopen.readOnly(BundledComponents.SECRETS_FILE_GUEST_DIRECTORY, real.getParent()));
    try {
      return load(context, spec.build(), properties);
    } catch (SecretsException e) {
      if (e.getCause() instanceof GuestErrorException guest) {
        // The guest names the file as it sees it; the user knows it by their own path.
        throw new SecretsException(
            definition.name(),
            described
                + ", which the component reads as "
                + guestPath
                + ": init failed: "
                + guest.error().text(),
            e);
      }
      throw e;
    }
  }

  private static String reason(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.toString();
  }

  /**
   * A guest property by name in any letter case, as the bundled components read their metadata (and
   * Dapr decodes it); two names differing only in case are refused, as they are by Dapr.
   */
  private static Optional<Map.Entry<String, String>> property(
      ComponentDefinition definition, Map<String, String> properties, String name) {
    List<Map.Entry<String, String>> matches =
        properties.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).toList();
    if (matches.size() > 1) {
      throw new ComponentConfigException(
          definition
              + ": metadata "
              + matches.stream().map(e -> "'" + e.getKey() + "'").toList()
              + " name the same property '"
              + name
              + "' in different letter cases");
    }
    return matches.stream().findFirst().map(e -> Map.entry(e.getKey(), e.getValue()));
  }
}
