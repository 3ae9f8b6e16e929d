package dev.pillion.config;

import dev.pillion.wasm.ComponentLimits;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.Engine;
import dev.pillion.wasm.HostModule;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.ModuleSource;
import dev.pillion.wasm.Preopen;
import dev.pillion.wasm.capability.KeyValueModule;
import dev.pillion.wasm.capability.KeyValueStore;
import dev.pillion.wasm.capability.LogModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The host-side settings of a Wasm component, read from its metadata. Keys starting with {@code
 * wasm.} and {@code url} are the host's; every other entry is passed to the guest's {@code init}.
 *
 * <table>
 *   <caption>metadata the host reads</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>url</td><td>{@code file://path.wasm}, relative to the YAML file, or {@code file:///absolute}</td><td>required for *.wasm types</td></tr>
 *   <tr><td>wasm.engine</td><td>compiled or interpreter</td><td>compiled</td></tr>
 *   <tr><td>wasm.instances</td><td>single (calls serialized, data in memory) or pooled (stateless)</td><td>single; pooled for the bundled in-memory types</td></tr>
 *   <tr><td>wasm.poolSize</td><td>instances of a pooled component</td><td>4</td></tr>
 *   <tr><td>wasm.poolWait</td><td>how long a call waits for a free instance</td><td>5s</td></tr>
 *   <tr><td>wasm.maxMemoryPages</td><td>memory cap, 64 KiB pages</td><td>1024</td></tr>
 *   <tr><td>wasm.callTimeout</td><td>per-call timeout</td><td>5s</td></tr>
 *   <tr><td>wasm.maxMessageBytes</td><td>largest request or response</td><td>4194304</td></tr>
 *   <tr><td>wasm.outputBytesPerSecond</td><td>log output (stdout, stderr, log calls) per second, bytes or {@code Ki}/{@code Mi}/{@code Gi}; bursts of 4 s (at least 1 MiB) pass, the rest is dropped and reported</td><td>256Ki</td></tr>
 *   <tr><td>wasm.preopens</td><td>directories the guest may open: {@code /guest=hostdir,...}, relative to the YAML; read-only, or writable with {@code /guest=hostdir:rw} ({@code :ro} is the default)</td><td>none</td></tr>
 *   <tr><td>wasm.preopenQuota</td><td>bytes the component may write into each writable preopen, bytes or {@code Ki}/{@code Mi}/{@code Gi} (see {@link Preopen})</td><td>64Mi</td></tr>
 *   <tr><td>wasm.capabilities</td><td>host capabilities granted besides WASI: {@code log}, {@code keyvalue}</td><td>log (bundled types add what they need)</td></tr>
 *   <tr><td>wasm.keyvalue.maxBytes</td><td>capacity of the {@code keyvalue} store: keys, values and 96 bytes per item, bytes or {@code Ki}/{@code Mi}/{@code Gi}</td><td>a quarter of the JVM's max heap</td></tr>
 *   <tr><td>wasm.keyvalue.maxItems</td><td>capacity of the {@code keyvalue} store in items</td><td>unlimited</td></tr>
 * </table>
 */
public final class WasmSettings {
  /** The module's location. */
  public static final String URL = "url";

  /** Prefix of host settings. */
  public static final String PREFIX = "wasm.";

  /** The instance model: single or pooled. */
  public static final String INSTANCES = "wasm.instances";

  /** The engine: compiled or interpreter. */
  public static final String ENGINE = "wasm.engine";

  /** Host capabilities granted besides WASI. */
  public static final String CAPABILITIES = "wasm.capabilities";

  /** Capacity of the key-value store in bytes. */
  public static final String KEYVALUE_MAX_BYTES = "wasm.keyvalue.maxBytes";

  /** Capacity of the key-value store in items. */
  public static final String KEYVALUE_MAX_ITEMS = "wasm.keyvalue.maxItems";

  /** The write quota of a writable preopen when {@code wasm.preopenQuota} is not set: 64 MiB. */
  public static final long DEFAULT_PREOPEN_QUOTA = 64L << 20;

  private static final Pattern BYTES = Pattern.compile("(\\d+)(Ki|Mi|Gi)?");

  private WasmSettings() {}

  /**
   * The key-value store a component's {@code keyvalue} capability serves, sized from its metadata.
   *
   * @param definition the component's definition
   * @param ordered whether the store must be able to scan keys in order
   * @return a new, empty store
   */
  public static KeyValueStore keyValueStore(ComponentDefinition definition, boolean ordered) {
    KeyValueStore.Builder store = KeyValueStore.builder(definition.name()).ordered(ordered);
    Map<String, String> metadata = definition.metadata();
    try {
      if (metadata.containsKey(KEYVALUE_MAX_BYTES)) {
        store.maxBytes(bytes(metadata.get(KEYVALUE_MAX_BYTES).trim()));
      }
      if (metadata.containsKey(KEYVALUE_MAX_ITEMS)) {
        store.maxItems(Long.parseLong(metadata.get(KEYVALUE_MAX_ITEMS).trim()));
      }
    } catch (IllegalArgumentException e) {
      throw new ComponentConfigException(
          definition + ": invalid metadata wasm.keyvalue.*: " + e.getMessage(), e);
    }
    return store.build();
  }

  /**
   * Whether the component asks for the interpreter ({@code wasm.engine: interpreter}). A bundled
   * component then loads from its raw {@code .wasm}: the build-time compiled class carries a
   * stripped module without code.
   *
   * @param definition the component's definition
   * @return true for the interpreter
   */
  public static boolean interpreted(ComponentDefinition definition) {
    return "interpreter".equalsIgnoreCase(definition.metadata().getOrDefault(ENGINE, "").trim());
  }

  private static List<HostModule> capabilities(ComponentDefinition definition, String value) {
    List<HostModule> modules = new ArrayList<>();
    for (String name : value.split(",")) {
      switch (name.trim()) {
        case "" -> {}
        case LogModule.CAPABILITY -> modules.add(LogModule.create());
        case KeyValueModule.CAPABILITY ->
            modules.add(KeyValueModule.create(keyValueStore(definition, true)));
        default ->
            throw new IllegalArgumentException(
                "unknown capability '" + name.trim() + "' (known: log, keyvalue)");
      }
    }
    return modules;
  }

  /**
   * Builds the spec for a component from its metadata.
   *
   * @param definition the component's definition
   * @param source where the module comes from
   * @return the spec, without contract or initializer
   */
  public static ComponentSpec.Builder spec(ComponentDefinition definition, ModuleSource source) {
    Map<String, String> metadata = definition.metadata();
    ComponentLimits.Builder limits = ComponentLimits.builder();
    ComponentSpec.Builder spec = ComponentSpec.builder().name(definition.name()).source(source);
    List<Grant> preopens = List.of();
    Long quota = null;
    for (Map.Entry<String, String> entry : metadata.entrySet()) {
      String key = entry.getKey();
      if (!key.startsWith(PREFIX)) {
        continue;
      }
      String value = entry.getValue().trim();
      try {
        switch (key) {
          case ENGINE -> spec.engine(Engine.valueOf(value.toUpperCase(Locale.ROOT)));
          case INSTANCES ->
              spec.instanceModel(InstanceModel.valueOf(value.toUpperCase(Locale.ROOT)));
          case "wasm.poolSize" -> limits.poolSize(Integer.parseInt(value));
          case "wasm.poolWait" -> limits.poolWait(Durations.parse(value));
          case "wasm.maxMemoryPages" -> limits.maxMemoryPages(Integer.parseInt(value));
          case "wasm.callTimeout" -> limits.callTimeout(Durations.parse(value));
          case "wasm.maxMessageBytes" -> limits.maxMessageBytes(Integer.parseInt(value));
          case CAPABILITIES -> spec.grants(capabilities(definition, value));
          // Read by keyValueStore(); checked here so a typo fails the load either way.
          case KEYVALUE_MAX_BYTES -> positive(bytes(value));
          case KEYVALUE_MAX_ITEMS -> positive(Long.parseLong(value));
          case "wasm.outputBytesPerSecond" -> limits.outputBytesPerSecond(bytes(value));
          case "wasm.preopens" -> preopens = preopens(definition, value);
          case "wasm.preopenQuota" -> quota = bytes(value);
          default ->
              throw new ComponentConfigException(
                  definition
                      + ": unknown metadata '"
                      + key
                      + "' (host settings are wasm.engine, wasm.instances, "
                      + "wasm.poolSize, wasm.poolWait, wasm.maxMemoryPages, wasm.callTimeout, wasm.maxMessageBytes, "
                      + "wasm.outputBytesPerSecond, wasm.preopens, wasm.preopenQuota, wasm.capabilities, "
                      + "wasm.keyvalue.maxBytes, wasm.keyvalue.maxItems)");
        }
      } catch (IllegalArgumentException e) {
        throw new ComponentConfigException(
            definition + ": invalid metadata '" + key + "' = '" + value + "': " + e.getMessage(),
            e);
      }
    }
    long writeQuota = quota == null ? DEFAULT_PREOPEN_QUOTA : quota;
    for (Grant grant : preopens) {
      spec.preopen(
          grant.writable()
              ? Preopen.writable(grant.guestPath(), grant.hostDirectory(), writeQuota)
              : Preopen.readOnly(grant.guestPath(), grant.hostDirectory()));
    }
    if (quota != null && preopens.stream().noneMatch(Grant::writable)) {
      throw new ComponentConfigException(
          definition
              + ": metadata 'wasm.preopenQuota' is set, but no directory of 'wasm.preopens' is"
              + " writable (grant one as /guest=hostdir:rw)");
    }
    return spec.limits(limits.build());
  }

  /**
   * The metadata passed to the guest: everything but {@code url} and {@code wasm.*}.
   *
   * @param definition the component's definition
   * @return the guest's properties
   */
  public static Map<String, String> guestProperties(ComponentDefinition definition) {
    Map<String, String> properties = new LinkedHashMap<>();
    definition
        .metadata()
        .forEach(
            (key, value) -> {
              if (!key.equals(URL) && !key.startsWith(PREFIX)) {
                properties.put(key, value);
              }
            });
    return properties;
  }

  /**
   * Resolves the {@code url} metadata to a file.
   *
   * @param definition the component's definition
   * @return the module source
   */
  public static ModuleSource moduleFromUrl(ComponentDefinition definition) {
    String url = definition.metadata().get(URL);
    if (url == null || url.isBlank()) {
      throw new ComponentConfigException(
          definition
              + ": metadata 'url' is required (e.g. file://my-component.wasm, relative to the YAML file)");
    }
    if (!url.startsWith("file://")) {
      throw new ComponentConfigException(
          definition + ": metadata 'url' = '" + url + "': only file:// URLs are supported");
    }
    return ModuleSource.file(resolve(definition, url.substring("file://".length())));
  }

  /** One entry of {@code wasm.preopens}. */
  private record Grant(String guestPath, Path hostDirectory, boolean writable) {}

  private static List<Grant> preopens(ComponentDefinition definition, String value) {
    Map<String, Grant> grants = new LinkedHashMap<>();
    for (String pair : value.split(",")) {
      String[] parts = pair.trim().split("=", 2);
      if (parts.length != 2 || !parts[0].trim().startsWith("/") || parts[1].isBlank()) {
        throw new IllegalArgumentException(
            "expected /guest=hostdir pairs separated by commas, each optionally ending in :ro"
                + " (read-only, the default) or :rw (writable), got '"
                + pair.trim()
                + "'");
      }
      String guest = parts[0].trim();
      String directory = parts[1].trim();
      boolean writable = false;
      if (directory.endsWith(":rw")) {
        writable = true;
        directory = directory.substring(0, directory.length() - 3);
      } else if (directory.endsWith(":ro")) {
        directory = directory.substring(0, directory.length() - 3);
      }
      Path host = resolve(definition, directory);
      if (!Files.isDirectory(host)) {
        throw new IllegalArgumentException("host directory " + host + " does not exist");
      }
      if (grants.put(guest, new Grant(guest, host, writable)) != null) {
        throw new IllegalArgumentException("guest path " + guest + " is granted twice");
      }
    }
    return List.copyOf(grants.values());
  }

  private static void positive(long value) {
    if (value < 1) {
      throw new IllegalArgumentException("must be positive");
    }
  }

  /** A byte count: digits, optionally followed by Ki, Mi or Gi. */
  private static long bytes(String value) {
    Matcher matcher = BYTES.matcher(value);
    if (!matcher.matches()) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a byte count (use digits, optionally with Ki, Mi or Gi: 64Mi)");
    }
    int shift =
        matcher.group(2) == null
            ? 0
            : switch (matcher.group(2)) {
              case "Ki" -> 10;
              case "Mi" -> 20;
              default -> 30;
            };
    try {
      long number = Long.parseLong(matcher.group(1));
      if (number > Long.MAX_VALUE >> shift) {
        throw new NumberFormatException();
      }
      return number << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + value + "' is too large", e);
    }
  }

  private static Path resolve(ComponentDefinition definition, String path) {
    Path file = Path.of(path);
    if (file.isAbsolute()) {
      return file;
    }
    return definition
        .baseDirectory()
        .map(base -> base.resolve(file))
        .orElse(file.toAbsolutePath())
        .normalize();
  }
}
