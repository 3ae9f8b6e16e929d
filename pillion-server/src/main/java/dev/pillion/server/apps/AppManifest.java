package dev.pillion.server.apps;

import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentYaml;
import dev.pillion.config.Durations;
import dev.pillion.config.ResourceDocument;
import dev.pillion.config.YamlFields;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A Wasm app to host: its id, its module and how it is served and limited, from a {@code kind: App}
 * document ({@code apiVersion: pillion.dev/v1alpha1}) or from {@code pillion run --app-wasm}.
 * Immutable.
 *
 * <pre>{@code
 * apiVersion: pillion.dev/v1alpha1
 * kind: App
 * metadata:
 *   name: orders            # the app id, unless spec.appId says otherwise
 * spec:
 *   module: orders.wasm     # relative to this file, or file:///abs/path.wasm
 *   http:
 *     port: 8081            # serve the app's routes there (0: any free port); omit for none
 *   limits:
 *     instances: 4          # instances in the pool: calls the app runs at once
 *     callTimeout: 5s       # one handler call, imports included
 *     idleTimeout: 60s      # an instance unused this long is closed (0s: kept); idle apps hold no memory
 *     maxMemoryPages: 256   # 64 KiB pages per instance
 *     maxMessageBytes: 4194304
 *   env:
 *     GREETING: hello       # the app's WASI environment (nothing else is visible to it)
 * }</pre>
 */
public final class AppManifest {
  /** The API group and version of {@code kind: App}. */
  public static final String API_VERSION = "pillion.dev/v1alpha1";

  private static final Set<String> TOP = Set.of("apiVersion", "kind", "metadata", "spec");
  private static final Set<String> SPEC = Set.of("appId", "module", "http", "limits", "env");
  private static final Set<String> HTTP = Set.of("port");
  private static final Set<String> LIMITS =
      Set.of("instances", "callTimeout", "idleTimeout", "maxMemoryPages", "maxMessageBytes");

  private final String appId;
  private final Path module;
  private final OptionalInt httpPort;
  private final int instances;
  private final Duration callTimeout;
  private final Duration idleTimeout;
  private final int maxMemoryPages;
  private final int maxMessageBytes;
  private final Map<String, String> environment;
  private final String where;

  private AppManifest(Builder builder) {
    this.appId = builder.appId;
    this.module = builder.module;
    this.httpPort = builder.httpPort;
    this.instances = builder.instances;
    this.callTimeout = builder.callTimeout;
    this.idleTimeout = builder.idleTimeout;
    this.maxMemoryPages = builder.maxMemoryPages;
    this.maxMessageBytes = builder.maxMessageBytes;
    this.environment = Map.copyOf(builder.environment);
    this.where = builder.where;
  }

  /**
   * A builder for an app given on the command line.
   *
   * @param appId the app's id
   * @param module the module's file
   * @return a new builder
   */
  public static Builder builder(String appId, Path module) {
    return new Builder(appId, module);
  }

  /**
   * Reads a {@code kind: App} document.
   *
   * @param document the document
   * @return the manifest
   * @throws ComponentConfigException naming the document and field when it is invalid
   */
  public static AppManifest read(ResourceDocument document) {
    if (!ComponentYaml.APP.equals(document.kind())) {
      throw new IllegalArgumentException(document.where() + " is not an App");
    }
    String at = document.where();
    Map<?, ?> root = document.root();
    YamlFields.unknownFields(root, TOP, at, "");
    String apiVersion = YamlFields.string(root.get("apiVersion"), at, "apiVersion");
    if (!API_VERSION.equals(apiVersion)) {
      throw new ComponentConfigException(
          at
              + ": apiVersion '"
              + apiVersion
              + "' is not supported for kind App (use "
              + API_VERSION
              + ")");
    }
    Map<?, ?> metadata = YamlFields.map(root.get("metadata"), at, "metadata");
    String name = YamlFields.string(metadata.get("name"), at, "metadata.name");
    Map<?, ?> spec = YamlFields.map(root.get("spec"), at, "spec");
    YamlFields.unknownFields(spec, SPEC, at, "spec.");
    String appId =
        spec.containsKey("appId") ? YamlFields.string(spec.get("appId"), at, "spec.appId") : name;
    String moduleText = YamlFields.string(spec.get("module"), at, "spec.module");
    Path module = resolve(document.baseDirectory(), moduleText);
    Builder builder = new Builder(appId, module).where(at);
    if (spec.get("http") != null) {
      Map<?, ?> http = YamlFields.map(spec.get("http"), at, "spec.http");
      YamlFields.unknownFields(http, HTTP, at, "spec.http.");
      long port = YamlFields.integer(http.get("port"), at, "spec.http.port");
      if (port < 0 || port > 65535) {
        throw new ComponentConfigException(
            at + ": spec.http.port " + port + " is not a port (0 to 65535; 0 picks a free one)");
      }
      builder.httpPort((int) port);
    }
    if (spec.get("limits") != null) {
      Map<?, ?> limits = YamlFields.map(spec.get("limits"), at, "spec.limits");
      YamlFields.unknownFields(limits, LIMITS, at, "spec.limits.");
      if (limits.get("instances") != null) {
        builder.instances(positive(limits.get("instances"), at, "spec.limits.instances"));
      }
      if (limits.get("maxMemoryPages") != null) {
        builder.maxMemoryPages(
            positive(limits.get("maxMemoryPages"), at, "spec.limits.maxMemoryPages"));
      }
      if (limits.get("maxMessageBytes") != null) {
        builder.maxMessageBytes(
            positive(limits.get("maxMessageBytes"), at, "spec.limits.maxMessageBytes"));
      }
      if (limits.get("callTimeout") != null) {
        builder.callTimeout(duration(limits.get("callTimeout"), at, "spec.limits.callTimeout"));
      }
      if (limits.get("idleTimeout") != null) {
        builder.idleTimeout(duration(limits.get("idleTimeout"), at, "spec.limits.idleTimeout"));
      }
    }
    if (spec.get("env") != null) {
      Map<?, ?> env = YamlFields.map(spec.get("env"), at, "spec.env");
      env.forEach(
          (key, value) ->
              builder.environmentVariable(
                  String.valueOf(key), YamlFields.scalar(value, at, "spec.env." + key)));
    }
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ComponentConfigException(at + ": " + e.getMessage(), e);
    }
  }

  private static Duration duration(Object value, String at, String field) {
    String text = YamlFields.scalar(value, at, field);
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ComponentConfigException(
          at + ": " + field + " '" + text + "': " + e.getMessage(), e);
    }
  }

  private static int positive(Object value, String at, String field) {
    long number = YamlFields.integer(value, at, field);
    if (number < 1 || number > Integer.MAX_VALUE) {
      throw new ComponentConfigException(
          at + ": " + field + " must be a positive number, got " + number);
    }
    return (int) number;
  }

  private static Path resolve(Path base, String text) {
    String path = text.startsWith("file://") ? text.substring("file://".length()) : text;
    Path file = Path.of(path);
    return (file.isAbsolute() ? file : base.resolve(file)).normalize();
  }

  /**
   * The app's id: its name for invocation, its key prefix and its scopes.
   *
   * @return the id
   */
  public String appId() {
    return appId;
  }

  /**
   * The module's file.
   *
   * @return the path
   */
  public Path module() {
    return module;
  }

  /**
   * The port of the app's HTTP routes, when it has one (0: any free port).
   *
   * @return the port
   */
  public OptionalInt httpPort() {
    return httpPort;
  }

  /**
   * How many instances the app's pool holds: how many calls it runs at once.
   *
   * @return the pool size
   */
  public int instances() {
    return instances;
  }

  /**
   * How long one handler call may run, the Dapr calls it makes included.
   *
   * @return the timeout
   */
  public Duration callTimeout() {
    return callTimeout;
  }

  /**
   * How long an instance may stay unused before it is closed; zero keeps instances.
   *
   * @return the idle timeout
   */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /**
   * The most memory an instance may have, in 64 KiB pages.
   *
   * @return the page cap
   */
  public int maxMemoryPages() {
    return maxMemoryPages;
  }

  /**
   * The largest message crossing the app's boundary, either way.
   *
   * @return bytes
   */
  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  /**
   * The app's WASI environment.
   *
   * @return the variables
   */
  public Map<String, String> environment() {
    return environment;
  }

  /**
   * Where the manifest came from, for messages.
   *
   * @return the file and document, or the command line
   */
  public Optional<String> where() {
    return Optional.ofNullable(where);
  }

  @Override
  public String toString() {
    return "app '" + appId + "' (" + module + ")";
  }

  /** Builds an {@link AppManifest}. */
  public static final class Builder {
    private final String appId;
    private final Path module;
    private OptionalInt httpPort = OptionalInt.empty();
    private int instances = 4;
    private Duration callTimeout = Duration.ofSeconds(5);
    private Duration idleTimeout = Duration.ofSeconds(60);
    private int maxMemoryPages = 256;
    private int maxMessageBytes = 4 << 20;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private String where;

    private Builder(String appId, Path module) {
      this.appId = Objects.requireNonNull(appId, "appId");
      this.module = Objects.requireNonNull(module, "module");
    }

    /**
     * Serves the app's HTTP routes on a port.
     *
     * @param port the port; 0 picks a free one
     * @return this builder
     */
    public Builder httpPort(int port) {
      this.httpPort = OptionalInt.of(port);
      return this;
    }

    /**
     * The pool's size; 4 by default.
     *
     * @param instances instances
     * @return this builder
     */
    public Builder instances(int instances) {
      this.instances = instances;
      return this;
    }

    /**
     * How long one call may run; 5 s by default.
     *
     * @param timeout the timeout
     * @return this builder
     */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * How long an instance may stay unused before it is closed (the next call makes a new one, a
     * few milliseconds); 60 s by default, zero to keep instances.
     *
     * @param timeout the timeout
     * @return this builder
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * The memory cap per instance in 64 KiB pages; 256 (16 MiB) by default.
     *
     * @param pages pages
     * @return this builder
     */
    public Builder maxMemoryPages(int pages) {
      this.maxMemoryPages = pages;
      return this;
    }

    /**
     * The message limit; 4 MiB by default.
     *
     * @param bytes bytes
     * @return this builder
     */
    public Builder maxMessageBytes(int bytes) {
      this.maxMessageBytes = bytes;
      return this;
    }

    /**
     * Adds a variable to the app's environment.
     *
     * @param name the name
     * @param value the value
     * @return this builder
     */
    public Builder environmentVariable(String name, String value) {
      environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    Builder where(String where) {
      this.where = where;
      return this;
    }

    /**
     * Builds the manifest.
     *
     * @return the manifest
     * @throws IllegalArgumentException when the app id is empty, a limit is not positive or the
     *     module does not exist
     */
    public AppManifest build() {
      if (appId.isEmpty()) {
        throw new IllegalArgumentException("the app id is empty");
      }
      if (instances < 1 || maxMemoryPages < 1 || maxMessageBytes < 1) {
        throw new IllegalArgumentException("limits must be positive");
      }
      if (callTimeout.isNegative() || callTimeout.isZero()) {
        throw new IllegalArgumentException("callTimeout must be positive");
      }
      if (idleTimeout.isNegative()) {
        throw new IllegalArgumentException("idleTimeout must not be negative");
      }
      if (!Files.isRegularFile(module)) {
        throw new IllegalArgumentException("the module " + module + " does not exist");
      }
      return new AppManifest(this);
    }
  }
}
