package dev.pillion.block;

import dev.pillion.abi.PillionException;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.MetadataValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Loads a runtime's components through its building blocks: checks scopes, versions and duplicate
 * names, finds each definition's block by the prefix of its type and the factory by the type,
 * resolves its metadata references, creates the component within its {@code initTimeout}, and opens
 * the block's API over it. Components of blocks that provide secrets ({@link SecretProvider}) load
 * first, in definition order, so that the others' {@code secretKeyRef}s can be resolved through
 * them. A component that fails to load fails the whole load, unless it has {@code ignoreErrors}; on
 * failure everything loaded so far is closed.
 *
 * <p>Build one with {@link #builder()}, registering blocks, types and components given in code,
 * then {@link #load(RuntimeContext, List)} once.
 */
public final class ComponentLoader {
  private static final System.Logger LOG = System.getLogger(ComponentLoader.class.getName());

  private final Map<String, Registered<?, ?>> blocks;
  private final Map<String, Given<?, ?>> given;

  private ComponentLoader(Builder builder) {
    this.blocks = new LinkedHashMap<>(builder.blocks);
    this.given = new LinkedHashMap<>(builder.given);
  }

  /**
   * A builder that applies every {@link ComponentTypeProvider} found by {@link ServiceLoader} to
   * each block it adds.
   *
   * @return a new builder, without blocks
   * @throws PillionException when a provider on the class or module path cannot be instantiated
   */
  public static Builder builder() {
    List<ComponentTypeProvider> providers = new ArrayList<>();
    try {
      ServiceLoader.load(ComponentTypeProvider.class).forEach(providers::add);
    } catch (ServiceConfigurationError e) {
      throw new PillionException(
          "a component type provider (" + ComponentTypeProvider.class.getName() + ") failed: " + e,
          e);
    }
    return builder(providers);
  }

  /**
   * A builder that applies the given providers, and no others, to each block it adds.
   *
   * @param providers the providers, applied in order
   * @return a new builder, without blocks
   */
  public static Builder builder(List<ComponentTypeProvider> providers) {
    return new Builder(List.copyOf(providers));
  }

  /** A block with the component types registered for it in this runtime. */
  private record Registered<C extends AutoCloseable, A>(
      BuildingBlock<C, A> block, ComponentTypes<C> types) {}

  /** A component given in code, ready, under a name. */
  private record Given<C extends AutoCloseable, A>(BuildingBlock<C, A> block, C component) {
    void close() {
      try {
        component.close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "closing component " + component + " failed", e);
      }
    }
  }

  /**
   * Loads every definition (in order), then every component given in code.
   *
   * @param context the runtime being built
   * @param definitions the components to load
   * @return the loaded components with their APIs
   * @throws ComponentConfigException when a definition is invalid
   * @throws PillionException when a component fails to load and does not have ignoreErrors
   */
  public LoadedBlocks load(RuntimeContext context, List<ComponentDefinition> definitions) {
    List<BuildingBlock<?, ?>> order = new ArrayList<>();
    blocks.values().forEach(registered -> order.add(registered.block()));
    LoadedBlocks loaded = new LoadedBlocks(order);
    Map<String, BuildingBlock.Opener<?, ?>> openers = new LinkedHashMap<>();
    try {
      for (Registered<?, ?> registered : blocks.values()) {
        openers.put(registered.block().name(), registered.block().prepare(context));
      }
      // Secret stores first: the other components' secretKeyRefs read from them.
      for (ComponentDefinition definition : definitions) {
        if (providesSecrets(definition)) {
          load(definition, context, openers, loaded);
        }
      }
      for (ComponentDefinition definition : definitions) {
        if (!providesSecrets(definition)) {
          load(definition, context, openers, loaded);
        }
      }
      for (Map.Entry<String, Given<?, ?>> entry : given.entrySet()) {
        openGiven(entry.getKey(), entry.getValue(), openers, loaded);
      }
    } catch (RuntimeException e) {
      loaded.close();
      given.forEach(
          (name, component) -> {
            if (!loaded.contains(name)) {
              component.close();
            }
          });
      throw e;
    }
    return loaded;
  }

  private boolean providesSecrets(ComponentDefinition definition) {
    Registered<?, ?> registered = blocks.get(definition.buildingBlock());
    return registered != null && registered.block() instanceof SecretProvider<?>;
  }

  private void load(
      ComponentDefinition definition,
      RuntimeContext context,
      Map<String, BuildingBlock.Opener<?, ?>> openers,
      LoadedBlocks loaded) {
    if (!context.anyInScope(definition.scopes())) {
      LOG.log(
          System.Logger.Level.INFO,
          definition
              + " is not in scope for app '"
              + context.appId()
              + "'"
              + (context.hostedApps().isEmpty()
                  ? ""
                  : " nor for any hosted app " + context.hostedApps())
              + "; skipped");
      return;
    }
    if (!"v1".equals(definition.version())) {
      failOrWarn(
          definition,
          new ComponentConfigException(
              definition + ": version '" + definition.version() + "' is not supported (use v1)"));
      return;
    }
    if (loaded.contains(definition.name()) || given.containsKey(definition.name())) {
      throw new ComponentConfigException(
          definition + ": a component named '" + definition.name() + "' is already defined");
    }
    Registered<?, ?> registered = blocks.get(definition.buildingBlock());
    if (registered == null) {
      failOrWarn(
          definition,
          new ComponentConfigException(
              definition
                  + ": building block '"
                  + definition.buildingBlock()
                  + "' is not supported yet (supported: "
                  + String.join(", ", blocks.keySet())
                  + ")"));
      return;
    }
    ComponentDefinition resolved;
    try {
      resolved = resolve(definition, registered.block(), context, loaded);
    } catch (RuntimeException e) {
      failOrWarn(definition, e);
      return;
    }
    load(registered, resolved, context, openers, loaded);
  }

  /** The definition with every metadata reference replaced by its value. */
  private ComponentDefinition resolve(
      ComponentDefinition definition,
      BuildingBlock<?, ?> block,
      RuntimeContext context,
      LoadedBlocks loaded) {
    if (definition.isResolved()) {
      return definition;
    }
    ComponentDefinition.Builder resolved = definition.toBuilder();
    Map<String, Map<String, String>> secrets = new LinkedHashMap<>();
    for (Map.Entry<String, MetadataValue> entry : definition.metadataValues().entrySet()) {
      String field = entry.getKey();
      if (entry.getValue() instanceof MetadataValue.EnvRef env) {
        String value = context.environment().get(env.variable());
        if (value == null) {
          throw new ComponentConfigException(
              definition
                  + ": metadata '"
                  + field
                  + "': envRef: environment variable '"
                  + env.variable()
                  + "' is not set");
        }
        resolved.metadata(field, value);
      } else if (entry.getValue() instanceof MetadataValue.SecretKeyRef ref) {
        Map<String, String> secret =
            secrets.computeIfAbsent(
                ref.name(), name -> secret(definition, field, ref, block, context, loaded));
        String value = secret.get(ref.effectiveKey());
        if (value == null) {
          throw secretProblem(definition, field, ref, "has no key '" + ref.effectiveKey() + "'");
        }
        if (value.isEmpty()) {
          // daprd never sets a field from an empty secret; and an environment store answers an
          // unset variable with one, so an empty value is most often a missing secret.
          throw secretProblem(
              definition,
              field,
              ref,
              "has an empty value for key '"
                  + ref.effectiveKey()
                  + "' (secretstores.local.env answers so for a variable that is not set)");
        }
        resolved.metadata(field, value);
      }
    }
    return resolved.build();
  }

  /** Reads the secret a {@code secretKeyRef} names from the component's secret store. */
  private Map<String, String> secret(
      ComponentDefinition definition,
      String field,
      MetadataValue.SecretKeyRef ref,
      BuildingBlock<?, ?> block,
      RuntimeContext context,
      LoadedBlocks loaded) {
    String at = definition + ": metadata '" + field + "'";
    String store =
        definition
            .secretStore()
            .orElseThrow(
                () ->
                    new ComponentConfigException(
                        at
                            + " is a secretKeyRef (secret '"
                            + ref.name()
                            + "') but the component names no secret store: set auth.secretStore"
                            + " (self-hosted daprd has no default secret store either)"));
    boolean isSecretStore = block instanceof SecretProvider<?>;
    if (isSecretStore && store.equals(definition.name())) {
      throw new ComponentConfigException(
          at
              + ": a secret store cannot read its own metadata from itself (auth.secretStore is '"
              + store
              + "')");
    }
    List<String> secretStores = new ArrayList<>();
    for (Registered<?, ?> registered : blocks.values()) {
      if (registered.block() instanceof SecretProvider<?>) {
        if (loaded.names(registered.block()).contains(store)) {
          Optional<Map<String, String>> secret;
          try {
            secret = read(registered.block(), store, ref.name(), context, loaded);
          } catch (RuntimeException e) {
            throw new PillionException(
                at
                    + ": reading secret '"
                    + ref.name()
                    + "' from secret store '"
                    + store
                    + "' failed: "
                    + e.getMessage(),
                e);
          }
          return secret.orElseThrow(
              () ->
                  new ComponentConfigException(
                      at
                          + ": secret '"
                          + ref.name()
                          + "' was not found in secret store '"
                          + store
                          + "'"));
        }
        secretStores.addAll(loaded.names(registered.block()));
      }
    }
    throw new ComponentConfigException(
        at
            + ": secretKeyRef to secret '"
            + ref.name()
            + "' in secret store '"
            + store
            + "', which is not loaded ("
            + (secretStores.isEmpty()
                ? "no secret stores are loaded"
                : "secret stores: " + String.join(", ", secretStores))
            + (isSecretStore ? "; a secret store reads only from those defined before it" : "")
            + ")");
  }

  @SuppressWarnings("unchecked") // a SecretProvider block provides secrets over its own API type
  private static <A> Optional<Map<String, String>> read(
      BuildingBlock<?, A> block,
      String store,
      String secret,
      RuntimeContext context,
      LoadedBlocks loaded) {
    return ((SecretProvider<A>) block)
        .secret(loaded.api(block, store), secret, Map.of("namespace", context.namespace()));
  }

  private static <C extends AutoCloseable, A> void load(
      Registered<C, A> registered,
      ComponentDefinition definition,
      RuntimeContext context,
      Map<String, BuildingBlock.Opener<?, ?>> openers,
      LoadedBlocks loaded) {
    Optional<ComponentFactory<C>> factory = registered.types().factory(definition.type());
    if (factory.isEmpty()) {
      // A type a module of its own provides: name the module rather than only the known types.
      String inModule =
          OptionalComponentTypes.moduleProviding(definition.type())
              .map(
                  module ->
                      "it is provided by module "
                          + module
                          + " (dev.pillion:"
                          + module
                          + "), which is not on the class or module path; ")
              .orElse("");
      failOrWarn(
          definition,
          new ComponentConfigException(
              definition
                  + ": type '"
                  + definition.type()
                  + "' is not supported ("
                  + inModule
                  + "supported: "
                  + String.join(", ", registered.types().types())
                  + ")"));
      return;
    }
    C component;
    try {
      component = createWithin(definition, () -> factory.get().create(definition, context));
    } catch (RuntimeException e) {
      failOrWarn(definition, e);
      return;
    }
    A api;
    try {
      api =
          opener(registered.block(), openers)
              .open(definition.name(), component, definition.metadata());
    } catch (RuntimeException e) {
      closeQuietly(component);
      failOrWarn(definition, e);
      return;
    }
    loaded.add(
        registered.block(),
        definition.name(),
        api,
        definition.type(),
        definition.version(),
        component,
        definition.metadata(),
        definition.scopes());
    LOG.log(System.Logger.Level.INFO, "loaded " + definition);
  }

  private static <C extends AutoCloseable, A> void openGiven(
      String name,
      Given<C, A> given,
      Map<String, BuildingBlock.Opener<?, ?>> openers,
      LoadedBlocks loaded) {
    A api = opener(given.block(), openers).open(name, given.component(), Map.of());
    loaded.add(
        given.block(),
        name,
        api,
        given.block().name() + "." + given.component().getClass().getSimpleName(),
        "v1",
        given.component(),
        Map.of(),
        List.of());
  }

  @SuppressWarnings("unchecked") // openers are keyed by the block that made them
  private static <C extends AutoCloseable, A> BuildingBlock.Opener<C, A> opener(
      BuildingBlock<C, A> block, Map<String, BuildingBlock.Opener<?, ?>> openers) {
    return (BuildingBlock.Opener<C, A>) openers.get(block.name());
  }

  /**
   * Creates the component on its own thread so a hanging init cannot block the runtime past
   * initTimeout.
   */
  private static <C extends AutoCloseable> C createWithin(
      ComponentDefinition definition, Supplier<C> create) {
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
      future.thenAccept(ComponentLoader::closeLate);
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

  private static void closeLate(AutoCloseable component) {
    try {
      component.close();
    } catch (Exception e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "closing a component that finished loading too late failed",
          e);
    }
  }

  private static void closeQuietly(AutoCloseable component) {
    try {
      component.close();
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, "closing component " + component + " failed", e);
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

  /** Builds a {@link ComponentLoader}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Registered<?, ?>> blocks = new LinkedHashMap<>();
    private final Map<String, Given<?, ?>> given = new LinkedHashMap<>();
    private final List<ComponentTypeProvider> providers;

    private Builder(List<ComponentTypeProvider> providers) {
      this.providers = providers;
    }

    /**
     * Adds a building block with its built-in component types, then the types the builder's
     * providers register for it. Blocks load in the order they are added and close in the reverse
     * order.
     *
     * @param block the block
     * @return this builder
     * @throws IllegalArgumentException when a block of that name is already added
     */
    public Builder block(BuildingBlock<?, ?> block) {
      Objects.requireNonNull(block, "block");
      if (blocks.containsKey(block.name())) {
        throw new IllegalArgumentException(
            "building block '" + block.name() + "' is already registered");
      }
      blocks.put(block.name(), registered(block));
      return this;
    }

    private <C extends AutoCloseable, A> Registered<C, A> registered(BuildingBlock<C, A> block) {
      ComponentTypes<C> types = block.builtInTypes();
      ComponentTypeRegistrar registrar =
          new ComponentTypeRegistrar() {
            @Override
            @SuppressWarnings("unchecked") // the same block object has the same component type
            public <T extends AutoCloseable> void componentType(
                BuildingBlock<T, ?> target, String type, ComponentFactory<T> factory) {
              if (target == block) {
                types.register(type, (ComponentFactory<C>) factory);
              }
            }
          };
      for (ComponentTypeProvider provider : providers) {
        provider.register(registrar);
      }
      return new Registered<>(block, types);
    }

    /**
     * Registers (or replaces) a component type of an added block.
     *
     * @param <C> the block's component type
     * @param block the block
     * @param type the {@code spec.type}, starting with the block's name and a dot
     * @param factory creates components of the type
     * @return this builder
     * @throws IllegalArgumentException when the block is not added or the type is not the block's
     */
    public <C extends AutoCloseable> Builder componentType(
        BuildingBlock<C, ?> block, String type, ComponentFactory<C> factory) {
      registeredOf(block).types().register(type, factory);
      return this;
    }

    /**
     * Adds a ready component of an added block under a name; it loads after every definition and is
     * closed with the loaded blocks (or when loading fails). A second component under the same name
     * replaces the first.
     *
     * @param <C> the block's component type
     * @param block the block
     * @param name the component's name
     * @param component the component
     * @return this builder
     */
    public <C extends AutoCloseable> Builder component(
        BuildingBlock<C, ?> block, String name, C component) {
      registeredOf(block);
      given.put(
          Objects.requireNonNull(name, "name"),
          new Given<>(block, Objects.requireNonNull(component, "component")));
      return this;
    }

    @SuppressWarnings("unchecked") // the registry was made by this very block
    private <C extends AutoCloseable> Registered<C, ?> registeredOf(BuildingBlock<C, ?> block) {
      Registered<?, ?> registered = blocks.get(Objects.requireNonNull(block, "block").name());
      if (registered == null) {
        throw new IllegalArgumentException(
            "building block '" + block.name() + "' is not registered");
      }
      return (Registered<C, ?>) registered;
    }

    /**
     * Builds the loader.
     *
     * @return the loader
     */
    public ComponentLoader build() {
      return new ComponentLoader(this);
    }
  }

  /** An error naming the component, the metadata field, the secret and its store. */
  private static ComponentConfigException secretProblem(
      ComponentDefinition definition,
      String field,
      MetadataValue.SecretKeyRef ref,
      String problem) {
    return new ComponentConfigException(
        definition
            + ": metadata '"
            + field
            + "': secret '"
            + ref.name()
            + "' in secret store '"
            + definition.secretStore().orElseThrow()
            + "' "
            + problem);
  }
}
