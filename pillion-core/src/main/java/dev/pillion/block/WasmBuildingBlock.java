package dev.pillion.block;

import dev.pillion.abi.ServiceContract;
import dev.pillion.config.ComponentConfigException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.config.WasmSettings;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.ModuleSource;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The part of a building block that is the same for every block whose components are Wasm modules
 * of one contract: its name, noun and API type, the features of its components, the type {@code
 * <name>.wasm} (any module of the contract, from metadata {@code url}) and the loading of its
 * bundled modules. A block extends this and writes only what differs: its bundled types, how its
 * API opens over a component ({@link #prepare}), its close and its not-found exception.
 *
 * @param <C> the component type of the block's SPI
 * @param <A> the API applications use
 */
public abstract class WasmBuildingBlock<C extends BlockComponent, A>
    implements BuildingBlock<C, A> {
  private final String name;
  private final String componentNoun;
  private final Class<A> apiType;
  private final ServiceContract contract;
  private final WasmLoader<C> loader;

  /**
   * Loads a module of the block's contract as the block's component (e.g. {@code
   * WasmStateComponent::load}).
   *
   * @param <C> the component type
   */
  @FunctionalInterface
  public interface WasmLoader<C> {
    /**
     * Loads and initializes the module.
     *
     * @param host the Wasm host
     * @param spec the module, with the grants it needs
     * @param properties the metadata properties passed to the contract's {@code init}
     * @return the ready component
     */
    C load(WasmHost host, ComponentSpec spec, Map<String, String> properties);
  }

  /**
   * Creates the common part.
   *
   * @param name the block's name and type prefix
   * @param componentNoun what one of its components is called in messages
   * @param apiType the API type
   * @param contract the contract its modules export
   * @param loader loads a module as the block's component
   */
  protected WasmBuildingBlock(
      String name,
      String componentNoun,
      Class<A> apiType,
      ServiceContract contract,
      WasmLoader<C> loader) {
    this.name = Objects.requireNonNull(name, "name");
    this.componentNoun = Objects.requireNonNull(componentNoun, "componentNoun");
    this.apiType = Objects.requireNonNull(apiType, "apiType");
    this.contract = Objects.requireNonNull(contract, "contract");
    this.loader = Objects.requireNonNull(loader, "loader");
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String componentNoun() {
    return componentNoun;
  }

  @Override
  public final Class<A> apiType() {
    return apiType;
  }

  @Override
  public final Set<String> features(C component) {
    return component.features();
  }

  /**
   * The type of any module of the block's contract, loaded from metadata {@code url}.
   *
   * @return {@code <name>.wasm}
   */
  public final String wasmType() {
    return name + ".wasm";
  }

  /**
   * A registry holding {@link #wasmType()}, for {@link #builtInTypes()} to add the bundled types
   * to.
   *
   * @return a new registry
   */
  protected final ComponentTypes<C> wasmTypes() {
    return ComponentTypes.<C>create(name).register(wasmType(), this::wasmFromUrl);
  }

  /**
   * The spec of a bundled module: refuses metadata {@code url} (the module is the bundled one),
   * picks the compiled or the interpreted form as {@code wasm.engine} says, and sets the contract.
   * Public so that a component type of the block from a module of its own ({@link
   * ComponentTypeProvider}) loads its bundled module the same way.
   *
   * @param definition the component's definition
   * @param type the bundled type, named in the error
   * @param compiled the module compiled to bytecode
   * @param interpreted the module as Wasm, for the interpreter
   * @return the spec, for the type to add its grants to
   * @throws ComponentConfigException when the definition names a {@code url}
   */
  public final ComponentSpec.Builder bundledSpec(
      ComponentDefinition definition,
      String type,
      Supplier<ModuleSource> compiled,
      Supplier<ModuleSource> interpreted) {
    if (definition.metadata().containsKey(WasmSettings.URL)) {
      throw new ComponentConfigException(
          definition
              + ": metadata 'url' is not used by "
              + type
              + " (use type "
              + wasmType()
              + " to load a module)");
    }
    return WasmSettings.spec(
            definition, WasmSettings.interpreted(definition) ? interpreted.get() : compiled.get())
        .contract(contract);
  }

  /**
   * Grants a bundled module the host's key-value store for its data and pools its instances unless
   * {@code wasm.instances} says otherwise: as the data lives in the host, an instance holds none,
   * and any instance can be discarded after a fault without losing any.
   *
   * @param spec the module's spec
   * @param definition the component's definition
   * @param ordered whether the store keeps keys in order (a queue scans them)
   * @return the spec
   */
  protected static ComponentSpec.Builder dataInHost(
      ComponentSpec.Builder spec, ComponentDefinition definition, boolean ordered) {
    spec.grant(KeyValueModule.create(WasmSettings.keyValueStore(definition, ordered)));
    if (!definition.metadata().containsKey(WasmSettings.INSTANCES)) {
      spec.instanceModel(InstanceModel.POOLED);
    }
    return spec;
  }

  /**
   * Loads a module as the block's component (public for the same reason as {@link #bundledSpec}).
   *
   * @param context the runtime
   * @param spec the module
   * @param properties the metadata properties passed to {@code init}
   * @return the component
   */
  public final C load(RuntimeContext context, ComponentSpec spec, Map<String, String> properties) {
    return loader.load(context.host(), spec, properties);
  }

  private C wasmFromUrl(ComponentDefinition definition, RuntimeContext context) {
    return load(
        context,
        WasmSettings.spec(definition, WasmSettings.moduleFromUrl(definition))
            .contract(contract)
            .build(),
        WasmSettings.guestProperties(definition));
  }
}
