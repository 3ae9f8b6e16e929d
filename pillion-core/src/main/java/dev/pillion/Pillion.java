package dev.pillion;

import dev.pillion.abi.PillionException;
import dev.pillion.components.ComponentConfigException;
import dev.pillion.components.ComponentDefinition;
import dev.pillion.components.ComponentYaml;
import dev.pillion.components.PubSubComponentFactory;
import dev.pillion.components.PubSubComponentTypes;
import dev.pillion.components.StateComponentFactory;
import dev.pillion.components.StateComponentTypes;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.BulkEntry;
import dev.pillion.pubsub.DefaultPubSub;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.PubSub;
import dev.pillion.pubsub.PubSubNotFoundException;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.state.DefaultStateStore;
import dev.pillion.state.KeyPrefix;
import dev.pillion.state.StateStore;
import dev.pillion.state.StateStoreNotFoundException;
import dev.pillion.state.spi.StateComponent;
import dev.pillion.wasm.WasmHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The embedded Pillion runtime: Dapr building blocks in this JVM, no sidecar. Thread-safe; close it
 * to release its components.
 *
 * <pre>{@code
 * try (Pillion runtime = Pillion.builder().resourcesPath(Path.of("components")).appId("orders").build()) {
 *   runtime.state("statestore").save("order-1", "{\"total\": 42}");
 *   Optional<StateItem> item = runtime.state("statestore").get("order-1");
 * }
 * }</pre>
 */
public final class Pillion implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Pillion.class.getName());

  private final String appId;
  private final String namespace;
  private final WasmHost host;
  private final Map<String, DefaultStateStore> stateStores;
  private final Map<String, DefaultPubSub> pubsubs;
  private final List<LoadedComponent> components;
  private final List<SubscriptionDefinition> declaredSubscriptions;
  private final List<SubscriptionDefinition> activeSubscriptions = new CopyOnWriteArrayList<>();

  private Pillion(
      String appId,
      String namespace,
      WasmHost host,
      Map<String, DefaultStateStore> stateStores,
      Map<String, DefaultPubSub> pubsubs,
      List<LoadedComponent> components,
      List<SubscriptionDefinition> declaredSubscriptions) {
    this.appId = appId;
    this.namespace = namespace;
    this.host = host;
    this.stateStores = stateStores;
    this.pubsubs = pubsubs;
    this.components = components;
    this.declaredSubscriptions = List.copyOf(declaredSubscriptions);
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
   * A state store by name.
   *
   * @param name the component's {@code metadata.name}
   * @return the store
   * @throws StateStoreNotFoundException if no such store is loaded
   */
  public StateStore state(String name) {
    StateStore store = stateStores.get(name);
    if (store == null) {
      throw new StateStoreNotFoundException(name, stateStores.keySet());
    }
    return store;
  }

  /**
   * The names of the loaded state stores.
   *
   * @return the names, in load order
   */
  public Set<String> stateStoreNames() {
    return Collections.unmodifiableSet(stateStores.keySet());
  }

  /**
   * A pub/sub component by name.
   *
   * @param name the component's {@code metadata.name}
   * @return the pub/sub building block over it
   * @throws PubSubNotFoundException if no such component is loaded
   */
  public PubSub pubsub(String name) {
    PubSub pubsub = pubsubs.get(name);
    if (pubsub == null) {
      throw new PubSubNotFoundException(name, pubsubs.keySet());
    }
    return pubsub;
  }

  /**
   * The {@code kind: Subscription} resources in scope for this app whose pub/sub component is
   * loaded (the others were ignored with a warning when the runtime was built). They deliver once
   * {@link #startSubscriptions(AppChannel, List)} gives them an app to deliver to.
   *
   * @return the declared subscriptions
   */
  public List<SubscriptionDefinition> declaredSubscriptions() {
    return declaredSubscriptions;
  }

  /**
   * The subscriptions delivering to an app right now (declared and app-declared), for the metadata
   * API.
   *
   * @return a snapshot
   */
  public List<SubscriptionDefinition> activeSubscriptions() {
    return List.copyOf(activeSubscriptions);
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
    List<SubscriptionDefinition> all = new ArrayList<>(declaredSubscriptions);
    all.addAll(more);
    List<Subscription> started = new ArrayList<>();
    for (SubscriptionDefinition definition : all) {
      String problem;
      if (!pubsubs.containsKey(definition.pubsubName())) {
        problem = notDefined(definition, pubsubs.keySet());
      } else {
        try {
          started.add(startSubscription(definition, channel));
          continue;
        } catch (RuntimeException e) {
          problem =
              "cannot subscribe: "
                  + (e.getMessage() == null
                      ? e.getClass().getName()
                      : e.getMessage().replaceAll("\\s*\\R\\s*", " "));
        }
      }
      LOG.log(
          System.Logger.Level.ERROR,
          describe(definition) + ": " + problem + "; this subscription is skipped");
    }
    return started;
  }

  /** Names a subscription for the log: where it was declared, its pubsub and topic. */
  private static String describe(SubscriptionDefinition definition) {
    return definition.origin()
        + " (subscription '"
        + definition.name()
        + "', pubsub '"
        + definition.pubsubName()
        + "', topic '"
        + definition.topic()
        + "')";
  }

  private static String notDefined(SubscriptionDefinition definition, Set<String> loaded) {
    return "pubsub '"
        + definition.pubsubName()
        + "' is not defined ("
        + (loaded.isEmpty()
            ? "no pub/sub components are loaded"
            : "pub/sub components: " + String.join(", ", loaded))
        + ")";
  }

  private Subscription startSubscription(SubscriptionDefinition definition, AppChannel channel) {
    SubscriptionOptions.Builder options =
        SubscriptionOptions.builder(definition.topic()).rawPayload(definition.rawPayload());
    // An empty dead-letter topic (an app's /dapr/subscribe may send one) means none, as in Dapr.
    definition.deadLetterTopic().filter(t -> !t.isEmpty()).ifPresent(options::deadLetterTopic);
    Subscription subscription;
    if (definition.bulkSubscribe().enabled()) {
      options.bulk(
          definition.bulkSubscribe().maxMessagesCount(),
          definition.bulkSubscribe().maxAwaitDuration());
      subscription =
          pubsub(definition.pubsubName())
              .subscribeBulk(options.build(), entries -> deliverBulk(definition, channel, entries));
    } else {
      subscription =
          pubsub(definition.pubsubName())
              .subscribe(
                  options.build(),
                  event -> {
                    Optional<String> route = definition.routes().select(event);
                    if (route.isEmpty()) {
                      LOG.log(
                          System.Logger.Level.DEBUG,
                          () ->
                              "subscription '"
                                  + definition.name()
                                  + "': no route matches event "
                                  + event.id());
                      return DeliveryResult.DROP;
                    }
                    return channel.deliver(route.get(), event);
                  });
    }
    activeSubscriptions.add(definition);
    return new Subscription() {
      @Override
      public SubscriptionOptions options() {
        return subscription.options();
      }

      @Override
      public String subscriptionName() {
        return subscription.subscriptionName();
      }

      @Override
      public int stuckMessages() {
        return subscription.stuckMessages();
      }

      @Override
      public void close() {
        activeSubscriptions.remove(definition);
        subscription.close();
      }
    };
  }

  /**
   * Delivers a batch of a bulk subscription as daprd does: one request per route its rules pick,
   * entries no route matches dropped. A route whose delivery fails leaves its entries unanswered,
   * so they are retried; the other routes' answers stand.
   */
  private static Map<String, DeliveryResult> deliverBulk(
      SubscriptionDefinition definition, AppChannel channel, List<BulkEntry> entries)
      throws InterruptedException {
    Map<String, List<BulkEntry>> byRoute = new LinkedHashMap<>();
    Map<String, DeliveryResult> results = new java.util.HashMap<>();
    for (BulkEntry entry : entries) {
      Optional<String> route = definition.routes().select(entry.event());
      if (route.isPresent()) {
        byRoute.computeIfAbsent(route.get(), path -> new ArrayList<>()).add(entry);
      } else {
        LOG.log(
            System.Logger.Level.DEBUG,
            () ->
                "subscription '"
                    + definition.name()
                    + "': no route matches event "
                    + entry.event().id());
        results.put(entry.entryId(), DeliveryResult.DROP);
      }
    }
    for (Map.Entry<String, List<BulkEntry>> route : byRoute.entrySet()) {
      Map<String, DeliveryResult> answers;
      try {
        answers = channel.deliverBulk(route.getKey(), route.getValue());
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        LOG.log(
            System.Logger.Level.INFO,
            "subscription '"
                + definition.name()
                + "': bulk delivery of "
                + route.getValue().size()
                + " events to "
                + route.getKey()
                + " failed: "
                + e
                + "; retrying them");
        continue;
      }
      // Only this route's entries: an app answering for another route's entry does not settle it.
      for (BulkEntry entry : route.getValue()) {
        DeliveryResult answer = answers.get(entry.entryId());
        if (answer != null) {
          results.put(entry.entryId(), answer);
        }
      }
    }
    return results;
  }

  /**
   * The names of the loaded pub/sub components.
   *
   * @return the names, in load order
   */
  public Set<String> pubsubNames() {
    return Collections.unmodifiableSet(pubsubs.keySet());
  }

  /**
   * The loaded components, as Dapr's metadata API lists them.
   *
   * @return the components, in load order
   */
  public List<LoadedComponent> components() {
    return components;
  }

  /** Closes every component, then the Wasm host. */
  @Override
  public void close() {
    for (DefaultPubSub pubsub : pubsubs.values()) {
      try {
        pubsub.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "closing pub/sub '" + pubsub.name() + "' failed", e);
      }
    }
    for (DefaultStateStore store : stateStores.values()) {
      try {
        store.component().close();
      } catch (RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING, "closing state store '" + store.name() + "' failed", e);
      }
    }
    host.close();
  }

  /**
   * A loaded component, as listed by Dapr's metadata API.
   *
   * @param name the component's name
   * @param type its type, e.g. {@code state.in-memory}
   * @param version its version, e.g. {@code v1}
   * @param capabilities its feature strings
   */
  public record LoadedComponent(
      String name, String type, String version, List<String> capabilities) {
    /** Copies the capabilities. */
    public LoadedComponent {
      capabilities = List.copyOf(capabilities);
    }
  }

  /** Builds a {@link Pillion} runtime. */
  public static final class Builder {
    private final List<Path> resourcesPaths = new ArrayList<>();
    private final List<ComponentDefinition> definitions = new ArrayList<>();
    private final Map<String, StateComponent> stateComponents = new LinkedHashMap<>();
    private final StateComponentTypes stateTypes = StateComponentTypes.builtIn();
    private final PubSubComponentTypes pubsubTypes = PubSubComponentTypes.builtIn();
    private String appId = "";
    private String namespace = "";
    private Path compileCacheDirectory;

    private Builder() {}

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
     * Adds a ready state component under a name (it is closed with the runtime). Its key prefix is
     * the default (appid).
     *
     * @param name the store's name
     * @param component the component
     * @return this builder
     */
    public Builder stateStore(String name, StateComponent component) {
      stateComponents.put(
          Objects.requireNonNull(name, "name"), Objects.requireNonNull(component, "component"));
      return this;
    }

    /**
     * Registers a state component type for YAML {@code spec.type}.
     *
     * @param type the type, e.g. {@code state.my-store}
     * @param factory creates components of the type
     * @return this builder
     */
    public Builder stateComponentType(String type, StateComponentFactory factory) {
      stateTypes.register(Objects.requireNonNull(type), Objects.requireNonNull(factory));
      return this;
    }

    /**
     * Registers a pub/sub component type for YAML {@code spec.type}.
     *
     * @param type the type, e.g. {@code pubsub.my-broker}
     * @param factory creates components of the type
     * @return this builder
     */
    public Builder pubsubComponentType(String type, PubSubComponentFactory factory) {
      pubsubTypes.register(Objects.requireNonNull(type), Objects.requireNonNull(factory));
      return this;
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
      List<SubscriptionDefinition> subscriptions = new ArrayList<>();
      ComponentYaml yaml = ComponentYaml.create();
      for (Path folder : resourcesPaths) {
        ComponentYaml.Resources resources = yaml.loadResources(folder);
        all.addAll(resources.components());
        resources.subscriptions().stream()
            .filter(sub -> sub.inScope(appId))
            .forEach(subscriptions::add);
      }
      all.addAll(definitions);
      WasmHost host =
          compileCacheDirectory == null
              ? WasmHost.create()
              : WasmHost.builder().compileCacheDirectory(compileCacheDirectory).build();
      Map<String, DefaultStateStore> stores = new LinkedHashMap<>();
      Map<String, DefaultPubSub> pubsubs = new LinkedHashMap<>();
      List<LoadedComponent> loaded = new ArrayList<>();
      try {
        for (ComponentDefinition definition : all) {
          loadComponent(definition, host, stores, pubsubs, loaded);
        }
        for (Map.Entry<String, StateComponent> entry : stateComponents.entrySet()) {
          addStore(
              entry.getKey(),
              entry.getValue(),
              KeyPrefix.of("", entry.getKey(), appId, namespace),
              stores);
          loaded.add(
              new LoadedComponent(
                  entry.getKey(),
                  "state." + entry.getValue().getClass().getSimpleName(),
                  "v1",
                  List.copyOf(entry.getValue().features())));
        }
      } catch (RuntimeException e) {
        pubsubs.values().forEach(DefaultPubSub::close);
        stores.values().forEach(store -> store.component().close());
        host.close();
        throw e;
      }
      // As daprd, a subscription to a pub/sub component that is not loaded is ignored, not fatal:
      // the resources folder may hold subscriptions for components another app loads.
      List<SubscriptionDefinition> usable = new ArrayList<>();
      for (SubscriptionDefinition subscription : subscriptions) {
        if (pubsubs.containsKey(subscription.pubsubName())) {
          usable.add(subscription);
        } else {
          LOG.log(
              System.Logger.Level.WARNING,
              describe(subscription)
                  + ": "
                  + notDefined(subscription, pubsubs.keySet())
                  + "; this subscription is ignored");
        }
      }
      return new Pillion(appId, namespace, host, stores, pubsubs, List.copyOf(loaded), usable);
    }

    private void loadComponent(
        ComponentDefinition definition,
        WasmHost host,
        Map<String, DefaultStateStore> stores,
        Map<String, DefaultPubSub> pubsubs,
        List<LoadedComponent> loaded) {
      if (!definition.inScope(appId)) {
        LOG.log(
            System.Logger.Level.INFO,
            definition + " is not in scope for app '" + appId + "'; skipped");
        return;
      }
      if (!"v1".equals(definition.version())) {
        failOrWarn(
            definition,
            new ComponentConfigException(
                definition + ": version '" + definition.version() + "' is not supported (use v1)"));
        return;
      }
      if (stores.containsKey(definition.name())
          || pubsubs.containsKey(definition.name())
          || stateComponents.containsKey(definition.name())) {
        throw new ComponentConfigException(
            definition + ": a component named '" + definition.name() + "' is already defined");
      }
      if ("pubsub".equals(definition.buildingBlock())) {
        loadPubSub(definition, host, pubsubs, loaded);
        return;
      }
      if (!"state".equals(definition.buildingBlock())) {
        failOrWarn(
            definition,
            new ComponentConfigException(
                definition
                    + ": building block '"
                    + definition.buildingBlock()
                    + "' is not supported yet (supported: state, pubsub)"));
        return;
      }
      StateComponent component =
          create(
              definition,
              stateTypes.factory(definition.type()).<Factory<StateComponent>>map(f -> f::create),
              stateTypes.types(),
              host);
      if (component == null) {
        return;
      }
      String prefix = definition.metadata().getOrDefault("keyPrefix", "");
      addStore(
          definition.name(),
          component,
          KeyPrefix.of(prefix, definition.name(), appId, namespace),
          stores);
      recordLoaded(definition, component.features(), loaded);
    }

    private void loadPubSub(
        ComponentDefinition definition,
        WasmHost host,
        Map<String, DefaultPubSub> pubsubs,
        List<LoadedComponent> loaded) {
      PubSubComponent component =
          create(
              definition,
              pubsubTypes.factory(definition.type()).<Factory<PubSubComponent>>map(f -> f::create),
              pubsubTypes.types(),
              host);
      if (component == null) {
        return;
      }
      pubsubs.put(definition.name(), DefaultPubSub.create(definition.name(), component, appId));
      recordLoaded(definition, component.features(), loaded);
    }

    /** The factory a component type needs, as the state and pub/sub registries provide them. */
    @FunctionalInterface
    private interface Factory<C> {
      C create(ComponentDefinition definition, WasmHost host);
    }

    /**
     * Creates a component of a known type within its init timeout.
     *
     * @return the component, or null when it failed and has ignoreErrors
     */
    private <C extends AutoCloseable> C create(
        ComponentDefinition definition,
        Optional<Factory<C>> factory,
        Set<String> knownTypes,
        WasmHost host) {
      if (factory.isEmpty()) {
        failOrWarn(
            definition,
            new ComponentConfigException(
                definition
                    + ": type '"
                    + definition.type()
                    + "' is not supported (supported: "
                    + String.join(", ", knownTypes)
                    + ")"));
        return null;
      }
      try {
        return createWithin(definition, () -> factory.get().create(definition, host));
      } catch (RuntimeException e) {
        failOrWarn(definition, e);
        return null;
      }
    }

    private static void recordLoaded(
        ComponentDefinition definition, Set<String> features, List<LoadedComponent> loaded) {
      loaded.add(
          new LoadedComponent(
              definition.name(), definition.type(), definition.version(), List.copyOf(features)));
      LOG.log(System.Logger.Level.INFO, "loaded " + definition);
    }

    private static void addStore(
        String name,
        StateComponent component,
        KeyPrefix prefix,
        Map<String, DefaultStateStore> stores) {
      stores.put(name, DefaultStateStore.create(name, component, prefix));
    }

    /**
     * Creates the component on its own thread so a hanging init cannot block the runtime past
     * initTimeout.
     */
    private static <C extends AutoCloseable> C createWithin(
        ComponentDefinition definition, java.util.function.Supplier<C> create) {
      Duration timeout = definition.initTimeout();
      CompletableFuture<C> future =
          CompletableFuture.supplyAsync(
              create,
              runnable -> {
                Thread thread = new Thread(runnable, "pillion-init-" + definition.name());
                thread.setDaemon(true);
                thread.start();
              });
      try {
        return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        future.thenAccept(Builder::closeQuietly);
        throw new PillionException(
            definition + ": init did not finish within initTimeout " + timeout, e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof PillionException pillion) {
          throw pillion;
        }
        throw new PillionException(definition + ": init failed: " + cause, cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PillionException(definition + ": interrupted while loading", e);
      }
    }

    private static void closeQuietly(AutoCloseable component) {
      try {
        component.close();
      } catch (Exception e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "closing a component that finished loading too late failed",
            e);
      }
    }

    private static void failOrWarn(ComponentDefinition definition, RuntimeException e) {
      if (definition.ignoreErrors()) {
        LOG.log(
            System.Logger.Level.WARNING,
            definition + " failed to load and has ignoreErrors: true; skipped: " + e.getMessage());
        return;
      }
      if (e instanceof ComponentConfigException) {
        throw e;
      }
      throw new PillionException(definition + " failed to load: " + e.getMessage(), e);
    }
  }
}
