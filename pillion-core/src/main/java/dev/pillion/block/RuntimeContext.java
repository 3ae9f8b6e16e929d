package dev.pillion.block;

import dev.pillion.config.ResourceDocument;
import dev.pillion.wasm.WasmHost;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a runtime being built offers its building blocks and component factories: the Wasm host
 * modules load into, the app's identity, the environment {@code envRef} and environment-reading
 * components see, and the resource documents other than components (a block reads its own kinds).
 * Immutable.
 */
public final class RuntimeContext {
  private final WasmHost host;
  private final String appId;
  private final String namespace;
  private final Map<String, String> environment;
  private final List<ResourceDocument> documents;
  private final Set<String> hostedApps;

  private RuntimeContext(Builder builder) {
    this.host = builder.host;
    this.appId = builder.appId;
    this.namespace = builder.namespace;
    this.environment = Map.copyOf(builder.environment);
    this.documents = List.copyOf(builder.documents);
    this.hostedApps = Set.copyOf(builder.hostedApps);
  }

  /**
   * A builder.
   *
   * @param host the Wasm host components load into
   * @return the builder
   */
  public static Builder builder(WasmHost host) {
    return new Builder(host);
  }

  /**
   * The Wasm host components load into.
   *
   * @return the host
   */
  public WasmHost host() {
    return host;
  }

  /**
   * The application's id.
   *
   * @return the id (may be empty)
   */
  public String appId() {
    return appId;
  }

  /**
   * The namespace.
   *
   * @return the namespace (may be empty)
   */
  public String namespace() {
    return namespace;
  }

  /**
   * The process environment as this runtime sees it ({@code envRef}, {@code
   * secretstores.local.env}).
   *
   * @return the variables, unmodifiable
   */
  public Map<String, String> environment() {
    return environment;
  }

  /**
   * The resource documents of one kind from the runtime's resources paths.
   *
   * @param kind e.g. {@code Configuration}
   * @return them, in file order
   */
  public List<ResourceDocument> documents(String kind) {
    return documents.stream().filter(document -> document.kind().equals(kind)).toList();
  }

  /**
   * The ids of the apps this runtime hosts besides its own (Wasm apps): a component in scope for
   * any of them is loaded, and each sees it through its own view ({@link LoadedBlocks#forApp}).
   *
   * @return the hosted app ids (empty for a runtime of one app)
   */
  public Set<String> hostedApps() {
    return hostedApps;
  }

  /**
   * This context as one hosted app sees it: the same host, namespace, environment and documents,
   * with that app's id and no hosted apps of its own.
   *
   * @param appId the hosted app's id
   * @return the app's context
   */
  public RuntimeContext forApp(String appId) {
    return builder(host)
        .appId(appId)
        .namespace(namespace)
        .environment(environment)
        .documents(documents)
        .build();
  }

  /**
   * Whether a component with these scopes is loaded: in scope for the runtime's app or for any app
   * it hosts.
   *
   * @param scopes the component's scopes (empty: every app)
   * @return true to load it
   */
  public boolean anyInScope(List<String> scopes) {
    return scopes.isEmpty()
        || scopes.contains(appId)
        || hostedApps.stream().anyMatch(scopes::contains);
  }

  /** Builds a {@link RuntimeContext}. */
  public static final class Builder {
    private final WasmHost host;
    private String appId = "";
    private String namespace = "";
    private Map<String, String> environment = Map.of();
    private List<ResourceDocument> documents = List.of();
    private Set<String> hostedApps = Set.of();

    private Builder(WasmHost host) {
      this.host = Objects.requireNonNull(host, "host");
    }

    /**
     * Sets the app id.
     *
     * @param appId the id
     * @return this builder
     */
    public Builder appId(String appId) {
      this.appId = Objects.requireNonNull(appId, "appId");
      return this;
    }

    /**
     * Sets the namespace.
     *
     * @param namespace the namespace
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = Objects.requireNonNull(namespace, "namespace");
      return this;
    }

    /**
     * Sets the environment.
     *
     * @param environment the variables
     * @return this builder
     */
    public Builder environment(Map<String, String> environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /**
     * Sets the resource documents other than components.
     *
     * @param documents the documents, in file order
     * @return this builder
     */
    public Builder documents(List<ResourceDocument> documents) {
      this.documents = Objects.requireNonNull(documents, "documents");
      return this;
    }

    /**
     * The ids of the apps the runtime hosts besides its own; none by default.
     *
     * @param appIds the hosted app ids
     * @return this builder
     */
    public Builder hostedApps(Set<String> appIds) {
      this.hostedApps = Set.copyOf(appIds);
      return this;
    }

    /**
     * Builds the context.
     *
     * @return the context
     */
    public RuntimeContext build() {
      return new RuntimeContext(this);
    }
  }
}
