package dev.pillion;

import dev.pillion.abi.PillionException;
import dev.pillion.block.BuildingBlock;
import dev.pillion.block.ComponentFactory;
import dev.pillion.block.ComponentLoader;
import dev.pillion.block.LoadedBlocks;
import dev.pillion.block.RuntimeContext;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.ComponentYaml;
import dev.pillion.config.ResourceDocument;
import dev.pillion.invoke.InvocationHandler;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.invoke.InvocationService;
import dev.pillion.invoke.resolution.NameResolutionSpec;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.DeclaredSubscriptions;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PubSubBuildingBlock;
import dev.pillion.pubsub.PubSubNotFoundException;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.pubsub.SubscriptionYaml;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.secrets.SecretStore;
import dev.pillion.secrets.SecretStoreNotFoundException;
import dev.pillion.secrets.SecretsBuildingBlock;
import dev.pillion.secrets.spi.SecretStoreComponent;
import dev.pillion.state.StateBuildingBlock;
import dev.pillion.state.StateStore;
import dev.pillion.state.StateStoreNotFoundException;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.wasm.WasmHost;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The embedded Pillion runtime: Dapr building blocks in this JVM, no sidecar. Thread-safe; close it
 * to release its components.
 *
 * <p>Every building block is reached the same way, {@link #api(BuildingBlock, String)}; {@link
 * #state(String)}, {@link #pubsub(String)} and {@link #secrets(String)} are shorthands for the
 * built-in blocks.
 *
 * <pre>{@code
 * try (Pillion runtime = Pillion.builder().resourcesPath(Path.of("components")).appId("orders").build()) {
 *   runtime.state("statestore").save("order-1", "{\"total\": 42}");
 *   Optional<StateItem> item = runtime.state("statestore").get("order-1");
 * }
 * }</pre>
 */
public final class Pillion implements AutoCloseable {
  private static final StateBuildingBlock STATE = StateBuildingBlock.create();
  private static final PubSubBuildingBlock PUBSUB = PubSubBuildingBlock.create();
  private static final SecretsBuildingBlock SECRETS = SecretsBuildingBlock.create();

  private final String appId;
  private final String namespace;
  private final WasmHost host;
  private final LoadedBlocks blocks;
  private final List<LoadedComponent> components;
  private final DeclaredSubscriptions subscriptions;
  private final InvocationService invocation;
  private final NameResolutionSpec nameResolution;
  private final RuntimeContext context;
  private final Shared shared;
  private final Set<Pillion> hostedApps = ConcurrentHashMap.newKeySet();

  /**
   * What a runtime and the apps it hosts share: the components as loaded (closed by the runtime
   * that loaded them, the owner), every Subscription read from the resources (each app takes those
   * in scope for it), and whether invocations between runtimes of the JVM go directly.
   */
  private static final class Shared {
    private final LoadedBlocks loaded;
    private final List<SubscriptionDefinition> subscriptions;
    private final boolean inProcessInvocation;

    /** The first runtime made over it, the one that loaded the components; set once. */
    private Pillion owner;

    private Shared(
        LoadedBlocks loaded,
        List<SubscriptionDefinition> subscriptions,
        boolean inProcessInvocation) {
      this.loaded = loaded;
      this.subscriptions = List.copyOf(subscriptions);
      this.inProcessInvocation = inProcessInvocation;
    }
  }

  private Pillion(
      RuntimeContext context,
      LoadedBlocks blocks,
      Shared shared,
      InvocationService invocation,
      NameResolutionSpec nameResolution) {
    this.context = context;
    this.shared = shared;
    if (shared.owner == null) {
      shared.owner = this;
    }
    List<SubscriptionDefinition> declaredSubscriptions =
        shared.subscriptions.stream().filter(sub -> sub.inScope(context.appId())).toList();
    this.invocation = invocation;
    this.nameResolution = nameResolution;
    this.appId = context.appId();
    this.namespace = context.namespace();
    this.host = context.host();
    this.blocks = blocks;
    this.components =
        blocks.entries().stream()
            .map(
                e ->
                    new LoadedComponent(
                        e.name(), e.type(), e.version(), e.features(), e.blocking()))
            .toList();
    Map<String, PubSub> pubsubs = new LinkedHashMap<>();
    for (String name : blocks.names(PUBSUB)) {
      pubsubs.put(name, blocks.api(PUBSUB, name));
    }
    this.subscriptions = DeclaredSubscriptions.create(pubsubs, declaredSubscriptions);
  }

  /**
   * A builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The application's id.
   *
   * @return the app id (may be empty)
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
   * The API of a loaded component of any building block.
   *
   * @param <A> the block's API type
   * @param block the building block
   * @param name the component's {@code metadata.name}
   * @return its API
   * @throws RuntimeException the block's not-found exception (e.g. {@link
   *     StateStoreNotFoundException}) when no such component is loaded
   */
  public <A> A api(BuildingBlock<?, A> block, String name) {
    return blocks.api(block, name);
  }

  /**
   * The names of a building block's loaded components.
   *
   * @param block the building block
   * @return the names, in load order
   */
  public Set<String> names(BuildingBlock<?, ?> block) {
    return blocks.names(block);
  }

  /**
   * A state store by name.
   *
   * @param name the component's {@code metadata.name}
   * @return the store
   * @throws StateStoreNotFoundException if no such store is loaded
   */
  public StateStore state(String name) {
    return blocks.api(STATE, name);
  }

  /**
   * The names of the loaded state stores.
   *
   * @return the names, in load order
   */
  public Set<String> stateStoreNames() {
    return blocks.names(STATE);
  }

  /**
   * A pub/sub component by name.
   *
   * @param name the component's {@code metadata.name}
   * @return the pub/sub building block over it
   * @throws PubSubNotFoundException if no such component is loaded
   */
  public PubSub pubsub(String name) {
    return blocks.api(PUBSUB, name);
  }

  /**
   * The names of the loaded pub/sub components.
   *
   * @return the names, in load order
   */
  public Set<String> pubsubNames() {
    return blocks.names(PUBSUB);
  }

  /**
   * A secret store by name, limited to the secrets this app may read (secret scoping from the
   * {@code kind: Configuration} resource).
   *
   * @param name the component's {@code metadata.name}
   * @return the store
   * @throws SecretStoreNotFoundException if no such store is loaded
   */
  public SecretStore secrets(String name) {
    return blocks.api(SECRETS, name);
  }

  /**
   * The names of the loaded secret stores.
   *
   * @return the names, in load order
   */
  public Set<String> secretStoreNames() {
    return blocks.names(SECRETS);
  }

  /**
   * The {@code kind: Subscription} resources in scope for this app whose pub/sub component is
   * loaded (the others were ignored with a warning when the runtime was built). They deliver once
   * {@link #startSubscriptions(AppChannel, List)} gives them an app to deliver to.
   *
   * @return the declared subscriptions
   */
  public List<SubscriptionDefinition> declaredSubscriptions() {
    return subscriptions.declared();
  }

  /**
   * The subscriptions delivering to an app right now (declared and app-declared), for the metadata
   * API.
   *
   * @return a snapshot
   */
  public List<SubscriptionDefinition> activeSubscriptions() {
    return subscriptions.active();
  }

  /**
   * Starts delivering the declared subscriptions, and any others (such as an app's {@code
   * /dapr/subscribe} answer), to an app: each event goes to the route its rules pick, and is
   * dropped when none applies. A subscription that cannot start (it names a pub/sub component that
   * is not loaded, or its component refuses it) is skipped with one ERROR line naming it and why;
   * the others start, as in daprd.
   *
   * @param channel how to reach the app's routes
   * @param more subscriptions declared elsewhere than the resources folder
   * @return the running subscriptions; close them to stop
   */
  public List<Subscription> startSubscriptions(
      AppChannel channel, List<SubscriptionDefinition> more) {
    return subscriptions.start(channel, more);
  }

  /**
   * Starts delivering the declared subscriptions, and any others, to an app whose health is
   * checked: as {@link #startSubscriptions(AppChannel, List)}, and every one of them pauses while
   * the app is unhealthy (messages stay in the broker) and resumes when it is healthy again.
   *
   * @param channel how to reach the app's routes
   * @param more subscriptions declared elsewhere than the resources folder
   * @param health the app's health, asked before every pull
   * @return the running subscriptions; close them to stop
   */
  public List<Subscription> startSubscriptions(
      AppChannel channel, List<SubscriptionDefinition> more, AppHealth health) {
    return subscriptions.start(channel, more, health);
  }

  /**
   * The loaded components, as Dapr's metadata API lists them.
   *
   * @return the components, in load order
   */
  public List<LoadedComponent> components() {
    return components;
  }

  /**
   * Service invocation: this app's in-process handlers and calls to other apps.
   *
   * @return the invocation of this runtime
   */
  public InvocationService invocation() {
    return invocation;
  }

  /**
   * Answers a method of this app in-process (see {@link InvocationService#onInvoke}).
   *
   * @param method the method
   * @param handler the handler
   */
  public void onInvoke(String method, InvocationHandler handler) {
    invocation.onInvoke(method, handler);
  }

  /**
   * Invokes a method of an app and waits for its answer (see {@link InvocationService#invoke}).
   *
   * @param target the app id, or {@code appId.namespace}
   * @param request the request
   * @return the app's answer, whatever its status
   */
  public InvocationResponse invoke(String target, InvocationRequest request) {
    return invocation.invoke(target, request);
  }

  /**
   * The name resolver a {@code kind: Configuration} among the resources selects ({@code
   * spec.nameResolution}), or daprd's default; the server creates it when it serves the runtime.
   *
   * @return the specification
   */
  public NameResolutionSpec nameResolution() {
    return nameResolution;
  }

  /**
   * Leaves the JVM's invocation registry, then closes every component (pub/sub, then state, then
   * secret stores), then the Wasm host.
   */
  /**
   * A hosted app's runtime: the view of this runtime's components that app has (those in scope for
   * its id, its own key prefix and event source), its own subscriptions and its own invocation
   * service, with no components or Wasm host of its own. Closing it stops its subscriptions and
   * withdraws its invocation handlers; the components stay open for the others, and close with this
   * runtime (which closes the hosted apps' runtimes first).
   *
   * @param appId an app id given to {@link Builder#hostedApps} (components were loaded for it)
   * @return the app's runtime
   * @throws IllegalArgumentException when the id was not declared as hosted, or is this runtime's
   *     own
   * @throws IllegalStateException when this runtime is itself a hosted app's
   */
  public Pillion forApp(String appId) {
    Objects.requireNonNull(appId, "appId");
    if (shared.owner != this) {
      throw new IllegalStateException(
          "app '"
              + this.appId
              + "' is hosted by a runtime: ask that runtime for app '"
              + appId
              + "'");
    }
    if (!context.hostedApps().contains(appId)) {
      throw new IllegalArgumentException(
          "app '"
              + appId
              + "' is not hosted by this runtime (hosted: "
              + String.join(", ", new TreeSet<>(context.hostedApps()))
              + "); declare it with Pillion.Builder.hostedApps");
    }
    RuntimeContext appContext = context.forApp(appId);
    LoadedBlocks view = shared.loaded.forApp(appContext);
    Pillion app =
        new Pillion(
            appContext,
            view,
            shared,
            InvocationService.create(appId, namespace, shared.inProcessInvocation),
            nameResolution);
    hostedApps.add(app);
    return app;
  }

  /**
   * The runtimes of the apps this runtime hosts that are open ({@link #forApp}).
   *
   * @return a snapshot
   */
  public List<Pillion> hostedApps() {
    return List.copyOf(hostedApps);
  }

  @Override
  public void close() {
    for (Pillion app : hostedApps) {
      app.close();
    }
    invocation.close();
    blocks.close();
    if (shared.owner == this) {
      if (shared.loaded != blocks) {
        shared.loaded.close();
      }
      host.close();
    } else {
      shared.owner.hostedApps.remove(this);
    }
  }

  /**
   * A loaded component, as listed by Dapr's metadata API.
   *
   * @param name the component's name
   * @param type its type, e.g. {@code state.in-memory}
   * @param version its version, e.g. {@code v1}
   * @param capabilities its feature strings
   * @param blocking whether its calls may wait on the network or other blocking I/O (a host
   *     capability granted to it does): the server then runs them on a bounded executor rather than
   *     on a thread serving other connections
   */
  public record LoadedComponent(
      String name, String type, String version, List<String> capabilities, boolean blocking) {
    /** Copies the capabilities. */
    public LoadedComponent {
      capabilities = List.copyOf(capabilities);
    }
  }

  /** Builds a {@link Pillion} runtime. */
  public static final class Builder {
    private final List<Path> resourcesPaths = new ArrayList<>();
    private final List<ComponentDefinition> definitions = new ArrayList<>();
    private final ComponentLoader.Builder loader =
        ComponentLoader.builder().block(SECRETS).block(STATE).block(PUBSUB);
    private String appId = "";
    private String namespace = "";
    private Path compileCacheDirectory;
    private Map<String, String> environment = System.getenv();
    private boolean inProcessInvocation = true;
    private Set<String> hostedApps = Set.of();

    private Builder() {}

    /**
     * The ids of the apps this runtime hosts besides its own (Wasm apps, each reached with {@link
     * Pillion#forApp}): components in scope for any of them are loaded, and each app sees those in
     * scope for it. None by default.
     *
     * @param appIds the hosted apps' ids (not empty)
     * @return this builder
     * @throws IllegalArgumentException when an id is empty
     */
    public Builder hostedApps(Collection<String> appIds) {
      for (String id : appIds) {
        if (id.isEmpty()) {
          throw new IllegalArgumentException("a hosted app's id is empty");
        }
      }
      this.hostedApps = Set.copyOf(appIds);
      return this;
    }

    /**
     * Whether invocations from other runtimes of this JVM call this one directly, with no socket
     * (the default), or only through its internal endpoint once it is served, as from another
     * process (to test or measure that path in one JVM).
     *
     * @param enabled true to join the JVM-wide registry of runtimes
     * @return this builder
     */
    public Builder inProcessInvocation(boolean enabled) {
      this.inProcessInvocation = enabled;
      return this;
    }

    /**
     * Adds a folder of Dapr resource YAML files (like {@code dapr run --resources-path}).
     *
     * @param folder the folder
     * @return this builder
     */
    public Builder resourcesPath(Path folder) {
      resourcesPaths.add(Objects.requireNonNull(folder, "folder"));
      return this;
    }

    /**
     * Sets the application's id (used for scopes and the default key prefix).
     *
     * @param appId the id
     * @return this builder
     */
    public Builder appId(String appId) {
      this.appId = Objects.requireNonNull(appId, "appId");
      return this;
    }

    /**
     * Sets the namespace (used by the {@code namespace} key prefix).
     *
     * @param namespace the namespace
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = Objects.requireNonNull(namespace, "namespace");
      return this;
    }

    /**
     * Adds a component defined in code, as if it came from YAML.
     *
     * @param definition the definition
     * @return this builder
     */
    public Builder component(ComponentDefinition definition) {
      definitions.add(Objects.requireNonNull(definition, "definition"));
      return this;
    }

    /**
     * Adds a building block beyond the built-in ones: its components ({@code <name>.*} types) load
     * from YAML and code like any other's, and {@link Pillion#api(BuildingBlock, String)} reaches
     * them.
     *
     * @param block the block
     * @return this builder
     * @throws IllegalArgumentException when a block of that name is already registered
     */
    public Builder buildingBlock(BuildingBlock<?, ?> block) {
      loader.block(block);
      return this;
    }

    /**
     * Adds a ready component of a registered building block under a name; it is closed with the
     * runtime (or when building the runtime fails).
     *
     * @param <C> the block's component type
     * @param block the block
     * @param name the component's name
     * @param component the component
     * @return this builder
     */
    public <C extends AutoCloseable> Builder component(
        BuildingBlock<C, ?> block, String name, C component) {
      loader.component(block, name, component);
      return this;
    }

    /**
     * Adds a ready state component under a name (it is closed with the runtime). Its key prefix is
     * the default (appid).
     *
     * @param name the store's name
     * @param component the component
     * @return this builder
     */
    public Builder stateStore(String name, StateComponent component) {
      return component(STATE, name, component);
    }

    /**
     * Adds a ready pub/sub component under a name (it is closed with the runtime).
     *
     * @param name the component's name
     * @param component the component
     * @return this builder
     */
    public Builder pubsub(String name, PubSubComponent component) {
      return component(PUBSUB, name, component);
    }

    /**
     * Adds a ready secret store component under a name (it is closed with the runtime); the
     * runtime's secret scoping applies to it like to any other.
     *
     * @param name the store's name
     * @param component the component
     * @return this builder
     */
    public Builder secretStore(String name, SecretStoreComponent component) {
      return component(SECRETS, name, component);
    }

    /**
     * Registers a component type of a registered building block for YAML {@code spec.type}.
     *
     * @param <C> the block's component type
     * @param block the block
     * @param type the type, {@code <block>.<name>}
     * @param factory creates components of the type
     * @return this builder
     * @throws IllegalArgumentException when the type does not start with the block's name
     */
    public <C extends AutoCloseable> Builder componentType(
        BuildingBlock<C, ?> block, String type, ComponentFactory<C> factory) {
      loader.componentType(block, type, factory);
      return this;
    }

    /**
     * Registers a state component type for YAML {@code spec.type}.
     *
     * @param type the type, e.g. {@code state.my-store}
     * @param factory creates components of the type
     * @return this builder
     */
    public Builder stateComponentType(String type, ComponentFactory<StateComponent> factory) {
      return componentType(STATE, type, factory);
    }

    /**
     * Registers a pub/sub component type for YAML {@code spec.type}.
     *
     * @param type the type, e.g. {@code pubsub.my-broker}
     * @param factory creates components of the type
     * @return this builder
     */
    public Builder pubsubComponentType(String type, ComponentFactory<PubSubComponent> factory) {
      return componentType(PUBSUB, type, factory);
    }

    /**
     * Sets the environment the runtime sees instead of the process's: {@code envRef} values and the
     * variables {@code secretstores.local.env} may serve come from it.
     *
     * @param variables the variables
     * @return this builder
     */
    public Builder environment(Map<String, String> variables) {
      this.environment = Map.copyOf(Objects.requireNonNull(variables, "variables"));
      return this;
    }

    /**
     * Registers a secret store component type for YAML {@code spec.type}.
     *
     * @param type the type, e.g. {@code secretstores.my-vault}
     * @param factory creates components of the type
     * @return this builder
     */
    public Builder secretStoreComponentType(
        String type, ComponentFactory<SecretStoreComponent> factory) {
      return componentType(SECRETS, type, factory);
    }

    /**
     * Keeps runtime-compiled modules in a directory so a module is compiled once per machine.
     *
     * @param directory the cache directory
     * @return this builder
     */
    public Builder compileCacheDirectory(Path directory) {
      this.compileCacheDirectory = Objects.requireNonNull(directory);
      return this;
    }

    /**
     * Loads every component and builds the runtime.
     *
     * @return the runtime
     * @throws ComponentConfigException when a definition is invalid
     * @throws PillionException when a component fails to load and does not have ignoreErrors
     */
    public Pillion build() {
      List<ComponentDefinition> all = new ArrayList<>();
      List<ResourceDocument> documents = new ArrayList<>();
      ComponentYaml yaml = ComponentYaml.create();
      for (Path folder : resourcesPaths) {
        ComponentYaml.Resources resources = yaml.loadResources(folder);
        all.addAll(resources.components());
        documents.addAll(resources.documents());
      }
      all.addAll(definitions);
      List<SubscriptionDefinition> subscriptions = SubscriptionYaml.read(documents);
      WasmHost host =
          compileCacheDirectory == null
              ? WasmHost.create()
              : WasmHost.builder().compileCacheDirectory(compileCacheDirectory).build();
      RuntimeContext context =
          RuntimeContext.builder(host)
              .appId(appId)
              .namespace(namespace)
              .environment(environment)
              .documents(documents)
              .hostedApps(hostedApps)
              .build();
      NameResolutionSpec nameResolution;
      LoadedBlocks loaded;
      try {
        nameResolution = NameResolutionSpec.read(documents);
        loaded = loader.build().load(context, all);
      } catch (RuntimeException e) {
        host.close();
        throw e;
      }
      InvocationService invocation =
          InvocationService.create(appId, namespace, inProcessInvocation);
      LoadedBlocks own;
      try {
        // With hosted apps, components out of this app's scope are loaded too: it sees only its
        // own.
        own = hostedApps.isEmpty() ? loaded : loaded.forApp(context.forApp(appId));
      } catch (RuntimeException e) {
        loaded.close();
        host.close();
        throw e;
      }
      return new Pillion(
          context,
          own,
          new Shared(loaded, subscriptions, inProcessInvocation),
          invocation,
          nameResolution);
    }
  }
}
