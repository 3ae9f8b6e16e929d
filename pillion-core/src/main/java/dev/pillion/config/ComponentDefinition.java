package dev.pillion.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One component, as a Dapr {@code kind: Component} document describes it: name, type, version,
 * metadata, the secret store its {@code secretKeyRef}s read from ({@code auth.secretStore}), init
 * timeout, ignoreErrors and scopes. Metadata values may be references ({@link MetadataValue}) that
 * the runtime resolves when it loads the component; component factories only ever see resolved
 * definitions. Immutable; build with {@link #builder(String, String)} or load from YAML with {@link
 * ComponentYaml}.
 */
public final class ComponentDefinition {
  /** Dapr's default init timeout. */
  public static final Duration DEFAULT_INIT_TIMEOUT = Duration.ofSeconds(5);

  private final String name;
  private final String type;
  private final String version;
  private final Map<String, MetadataValue> metadataValues;
  private final Map<String, String> metadata;
  private final String secretStore;
  private final Duration initTimeout;
  private final boolean ignoreErrors;
  private final List<String> scopes;
  private final Path baseDirectory;
  private final String origin;

  private ComponentDefinition(Builder builder) {
    this.name = builder.name;
    this.type = builder.type;
    this.version = builder.version;
    this.metadataValues =
        java.util.Collections.unmodifiableMap(new LinkedHashMap<>(builder.metadata));
    Map<String, String> literals = new LinkedHashMap<>();
    builder.metadata.forEach(
        (key, value) -> {
          if (value instanceof MetadataValue.Literal literal) {
            literals.put(key, literal.value());
          }
        });
    this.metadata =
        literals.size() == metadataValues.size()
            ? java.util.Collections.unmodifiableMap(literals)
            : null;
    this.secretStore = builder.secretStore;
    this.initTimeout = builder.initTimeout;
    this.ignoreErrors = builder.ignoreErrors;
    this.scopes = List.copyOf(builder.scopes);
    this.baseDirectory = builder.baseDirectory;
    this.origin = builder.origin;
  }

  /**
   * A builder.
   *
   * @param name the component's name ({@code metadata.name})
   * @param type the component's type ({@code spec.type}, e.g. {@code state.in-memory})
   * @return the builder
   */
  public static Builder builder(String name, String type) {
    return new Builder(name, type);
  }

  /**
   * The name applications use.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The type, e.g. {@code state.in-memory}.
   *
   * @return the type
   */
  public String type() {
    return type;
  }

  /**
   * The building block of the type: the part before the first dot ({@code state}).
   *
   * @return the building block
   */
  public String buildingBlock() {
    int dot = type.indexOf('.');
    return dot < 0 ? type : type.substring(0, dot);
  }

  /**
   * The version ({@code v1}).
   *
   * @return the version
   */
  public String version() {
    return version;
  }

  /**
   * The metadata, in document order, every value resolved.
   *
   * @return an unmodifiable map
   * @throws IllegalStateException when a value is a reference not resolved yet (see {@link
   *     #isResolved()}); the runtime resolves them before a factory sees the definition
   */
  public Map<String, String> metadata() {
    if (metadata == null) {
      throw new IllegalStateException(
          this
              + ": metadata "
              + metadataValues.entrySet().stream()
                  .filter(e -> !(e.getValue() instanceof MetadataValue.Literal))
                  .map(e -> "'" + e.getKey() + "'")
                  .toList()
              + " refer to values the runtime resolves when it loads the component");
    }
    return metadata;
  }

  /**
   * The metadata as stated: literals and references ({@code envRef}, {@code secretKeyRef}), in
   * document order.
   *
   * @return an unmodifiable map
   */
  public Map<String, MetadataValue> metadataValues() {
    return metadataValues;
  }

  /**
   * Whether every metadata value is a literal, so {@link #metadata()} can be read.
   *
   * @return true when no value is a reference
   */
  public boolean isResolved() {
    return metadata != null;
  }

  /**
   * The secret store this component's {@code secretKeyRef}s read from ({@code auth.secretStore}).
   *
   * @return the store's name, or empty when none is named
   */
  public Optional<String> secretStore() {
    return secretStore.isEmpty() ? Optional.empty() : Optional.of(secretStore);
  }

  /**
   * A builder holding everything this definition holds.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder builder =
        new Builder(name, type)
            .version(version)
            .metadataValues(metadataValues)
            .initTimeout(initTimeout)
            .ignoreErrors(ignoreErrors)
            .scopes(scopes)
            .origin(origin);
    builder.secretStore = secretStore;
    if (baseDirectory != null) {
      builder.baseDirectory(baseDirectory);
    }
    return builder;
  }

  /**
   * How long loading and initializing may take.
   *
   * @return the init timeout
   */
  public Duration initTimeout() {
    return initTimeout;
  }

  /**
   * Whether a failure to load only logs a warning instead of failing the runtime.
   *
   * @return ignoreErrors
   */
  public boolean ignoreErrors() {
    return ignoreErrors;
  }

  /**
   * The app ids allowed to use the component; empty means all.
   *
   * @return the scopes
   */
  public List<String> scopes() {
    return scopes;
  }

  /**
   * The directory relative {@code file://} URLs resolve against (the YAML file's directory).
   *
   * @return the directory, or empty for programmatic definitions
   */
  public Optional<Path> baseDirectory() {
    return Optional.ofNullable(baseDirectory);
  }

  /**
   * Where the definition came from, for messages.
   *
   * @return e.g. {@code components/statestore.yaml} or {@code builder}
   */
  public String origin() {
    return origin;
  }

  /**
   * Whether an app may use the component.
   *
   * @param appId the app's id
   * @return true if scopes are empty or contain the id
   */
  public boolean inScope(String appId) {
    return scopes.isEmpty() || scopes.contains(appId);
  }

  @Override
  public String toString() {
    return "component '" + name + "' (" + type + "/" + version + ", from " + origin + ")";
  }

  /** Builds a {@link ComponentDefinition}. */
  public static final class Builder {
    private final String name;
    private final String type;
    private String version = "v1";
    private final Map<String, MetadataValue> metadata = new LinkedHashMap<>();
    private String secretStore = "";
    private Duration initTimeout = DEFAULT_INIT_TIMEOUT;
    private boolean ignoreErrors;
    private List<String> scopes = List.of();
    private Path baseDirectory;
    private String origin = "builder";

    private Builder(String name, String type) {
      this.name = Objects.requireNonNull(name, "name");
      this.type = Objects.requireNonNull(type, "type");
      if (name.isEmpty()) {
        throw new ComponentConfigException("component name (metadata.name) must not be empty");
      }
      if (type.isEmpty()) {
        throw new ComponentConfigException("component '" + name + "': spec.type must not be empty");
      }
    }

    /**
     * Sets the version.
     *
     * @param version e.g. {@code v1}
     * @return this builder
     */
    public Builder version(String version) {
      this.version = Objects.requireNonNull(version);
      return this;
    }

    /**
     * Adds (or replaces) a metadata entry with a literal value.
     *
     * @param key the name
     * @param value the value
     * @return this builder
     */
    public Builder metadata(String key, String value) {
      return metadata(key, MetadataValue.literal(Objects.requireNonNull(value)));
    }

    /**
     * Adds (or replaces) a metadata entry with a literal or a reference.
     *
     * @param key the name
     * @param value the value
     * @return this builder
     */
    public Builder metadata(String key, MetadataValue value) {
      metadata.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
      return this;
    }

    /**
     * Adds (or replaces) metadata entries, literals or references.
     *
     * @param entries the entries
     * @return this builder
     */
    public Builder metadataValues(Map<String, MetadataValue> entries) {
      entries.forEach(this::metadata);
      return this;
    }

    /**
     * Names the secret store {@code secretKeyRef} values read from ({@code auth.secretStore}).
     *
     * @param store the secret store's name
     * @return this builder
     */
    public Builder secretStore(String store) {
      Objects.requireNonNull(store, "store");
      if (store.isEmpty()) {
        throw new ComponentConfigException(
            "component '" + name + "': auth.secretStore must not be empty");
      }
      this.secretStore = store;
      return this;
    }

    /**
     * Adds metadata entries.
     *
     * @param entries the entries
     * @return this builder
     */
    public Builder metadata(Map<String, String> entries) {
      entries.forEach((key, value) -> metadata(key, value));
      return this;
    }

    /**
     * Sets the init timeout.
     *
     * @param timeout a positive duration
     * @return this builder
     */
    public Builder initTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new ComponentConfigException(
            "component '" + name + "': initTimeout must be positive");
      }
      this.initTimeout = timeout;
      return this;
    }

    /**
     * Sets ignoreErrors.
     *
     * @param ignore true to only log load failures
     * @return this builder
     */
    public Builder ignoreErrors(boolean ignore) {
      this.ignoreErrors = ignore;
      return this;
    }

    /**
     * Sets the scopes.
     *
     * @param appIds the app ids allowed to use the component
     * @return this builder
     */
    public Builder scopes(List<String> appIds) {
      this.scopes = List.copyOf(appIds);
      return this;
    }

    /**
     * Sets the directory relative URLs resolve against.
     *
     * @param directory the directory
     * @return this builder
     */
    public Builder baseDirectory(Path directory) {
      this.baseDirectory = Objects.requireNonNull(directory);
      return this;
    }

    /**
     * Sets where the definition came from.
     *
     * @param origin e.g. a file name
     * @return this builder
     */
    public Builder origin(String origin) {
      this.origin = Objects.requireNonNull(origin);
      return this;
    }

    /**
     * Builds the definition.
     *
     * @return the definition
     */
    public ComponentDefinition build() {
      return new ComponentDefinition(this);
    }
  }
}
