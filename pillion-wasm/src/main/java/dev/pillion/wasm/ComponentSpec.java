package dev.pillion.wasm;

import dev.pillion.abi.ServiceContract;
import dev.pillion.wasm.capability.LogModule;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the host needs to load one component. Immutable; build with {@link #builder()}.
 *
 * <p>Defaults: compiled engine, {@link InstanceModel#SINGLE}, {@link ComponentLimits#DEFAULT}, no
 * preopened directories, no environment variables, no instance initializer, and one granted
 * capability besides the WASI sandbox: {@link LogModule log}.
 */
public final class ComponentSpec {
  private final String name;
  private final ServiceContract contract;
  private final ModuleSource source;
  private final Engine engine;
  private final InstanceModel instanceModel;
  private final ComponentLimits limits;
  private final List<Preopen> preopens;
  private final Map<String, String> environment;
  private final InstanceInitializer initializer;
  private final List<HostModule> grants;

  private ComponentSpec(Builder builder) {
    this.name = Objects.requireNonNull(builder.name, "name");
    this.contract = Objects.requireNonNull(builder.contract, "contract");
    this.source = Objects.requireNonNull(builder.source, "source");
    this.engine = builder.engine;
    this.instanceModel = builder.instanceModel;
    this.limits = builder.limits;
    this.preopens = List.copyOf(builder.preopens.values());
    this.environment = Collections.unmodifiableMap(new LinkedHashMap<>(builder.environment));
    this.initializer = builder.initializer;
    this.grants = List.copyOf(builder.grants.values());
  }

  /**
   * A new builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder starting from this spec's values.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder builder =
        new Builder()
            .name(name)
            .contract(contract)
            .source(source)
            .engine(engine)
            .instanceModel(instanceModel)
            .limits(limits)
            .initializer(initializer)
            .grants(grants)
            .environment(environment);
    preopens.forEach(builder::preopen);
    return builder;
  }

  /**
   * The component's name, used in messages and as its logger's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The contract the module must implement.
   *
   * @return the contract
   */
  public ServiceContract contract() {
    return contract;
  }

  /**
   * Where the module comes from.
   *
   * @return the source
   */
  public ModuleSource source() {
    return source;
  }

  /**
   * How the code runs.
   *
   * @return the engine
   */
  public Engine engine() {
    return engine;
  }

  /**
   * One instance or a pool.
   *
   * @return the instance model
   */
  public InstanceModel instanceModel() {
    return instanceModel;
  }

  /**
   * The resource limits.
   *
   * @return the limits
   */
  public ComponentLimits limits() {
    return limits;
  }

  /**
   * Directories the guest may open, in the order they were granted. Empty means no file system.
   *
   * @return an unmodifiable list
   */
  public List<Preopen> preopens() {
    return preopens;
  }

  /**
   * The environment variables the guest sees through WASI, in the order they were granted. Empty
   * (the default) means the guest sees none; it never sees the host's own environment.
   *
   * @return an unmodifiable map of name to value
   */
  public Map<String, String> environment() {
    return environment;
  }

  /**
   * Runs on every new instance before it serves calls (e.g. the contract's {@code init}).
   *
   * @return the initializer
   */
  public InstanceInitializer initializer() {
    return initializer;
  }

  /**
   * The host capabilities granted besides the WASI sandbox, one per import module.
   *
   * @return the granted modules
   */
  public List<HostModule> grants() {
    return grants;
  }

  /**
   * Whether calls into the component may wait on I/O: true when any granted capability is
   * {@linkplain HostModule#isBlocking() blocking}. The WASI sandbox itself is not: its preopened
   * files are local, read in microseconds like memory.
   *
   * @return true when a granted capability is blocking
   */
  public boolean isBlocking() {
    return grants.stream().anyMatch(HostModule::isBlocking);
  }

  /** Builds a {@link ComponentSpec}. */
  public static final class Builder {
    private String name;
    private ServiceContract contract;
    private ModuleSource source;
    private Engine engine = Engine.COMPILED;
    private InstanceModel instanceModel = InstanceModel.SINGLE;
    private ComponentLimits limits = ComponentLimits.DEFAULT;
    private final Map<String, Preopen> preopens = new LinkedHashMap<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private InstanceInitializer initializer = caller -> {};
    private final Map<String, HostModule> grants = new LinkedHashMap<>();

    private Builder() {
      grant(LogModule.create());
    }

    /**
     * Sets the component's name.
     *
     * @param name a non-empty name
     * @return this builder
     */
    public Builder name(String name) {
      if (Objects.requireNonNull(name, "name").isEmpty()) {
        throw new IllegalArgumentException("component name must not be empty");
      }
      this.name = name;
      return this;
    }

    /**
     * Sets the contract.
     *
     * @param contract the contract the module implements
     * @return this builder
     */
    public Builder contract(ServiceContract contract) {
      this.contract = Objects.requireNonNull(contract, "contract");
      return this;
    }

    /**
     * Sets the module source.
     *
     * @param source where the Wasm comes from
     * @return this builder
     */
    public Builder source(ModuleSource source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * Sets the engine.
     *
     * @param engine compiled (default) or interpreter
     * @return this builder
     */
    public Builder engine(Engine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
      return this;
    }

    /**
     * Sets the instance model.
     *
     * @param model single (default) or pooled
     * @return this builder
     */
    public Builder instanceModel(InstanceModel model) {
      this.instanceModel = Objects.requireNonNull(model, "instanceModel");
      return this;
    }

    /**
     * Sets the limits.
     *
     * @param limits the limits
     * @return this builder
     */
    public Builder limits(ComponentLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Grants the guest a directory, read-only.
     *
     * @param guestPath the path the guest sees, e.g. {@code /data}
     * @param hostPath the host directory behind it
     * @return this builder
     */
    public Builder preopenDirectory(String guestPath, Path hostPath) {
      return preopen(Preopen.readOnly(guestPath, hostPath));
    }

    /**
     * Grants the guest a directory, read-only or writable with a quota, replacing an earlier grant
     * of the same guest path.
     *
     * @param preopen the grant
     * @return this builder
     */
    public Builder preopen(Preopen preopen) {
      preopens.put(Objects.requireNonNull(preopen, "preopen").guestPath(), preopen);
      return this;
    }

    /**
     * Grants the guest one environment variable, replacing an earlier grant of the same name. The
     * guest sees exactly the variables granted this way, nothing of the host's environment.
     *
     * @param name the variable's name: not empty, without {@code =} or NUL
     * @param value the value, without NUL
     * @return this builder
     * @throws IllegalArgumentException naming the variable if the name or value cannot be one
     */
    public Builder environmentVariable(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "environment variable name '"
                + name.replace("\0", "\\0")
                + "' is not valid: it must be non-empty and contain neither '=' nor NUL");
      }
      if (value.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "the value of environment variable " + name + " contains NUL");
      }
      environment.put(name, value);
      return this;
    }

    /**
     * Replaces every granted environment variable with these (an empty map grants none).
     *
     * @param variables name to value, each as {@link #environmentVariable(String, String)} takes it
     * @return this builder
     */
    public Builder environment(Map<String, String> variables) {
      Objects.requireNonNull(variables, "variables");
      environment.clear();
      variables.forEach(this::environmentVariable);
      return this;
    }

    /**
     * Sets what runs on every new instance.
     *
     * @param initializer the initializer
     * @return this builder
     */
    public Builder initializer(InstanceInitializer initializer) {
      this.initializer = Objects.requireNonNull(initializer, "initializer");
      return this;
    }

    /**
     * Grants a capability, replacing any granted module with the same import module.
     *
     * @param module the capability
     * @return this builder
     */
    public Builder grant(HostModule module) {
      Objects.requireNonNull(module, "module");
      if (module.importModule().equals(WasiSandbox.IMPORT_MODULE)) {
        throw new IllegalArgumentException(
            "WASI is always granted as a sandbox; grant directories with preopenDirectory");
      }
      grants.put(module.importModule(), module);
      return this;
    }

    /**
     * Replaces every granted capability (the default {@code log} included) with these.
     *
     * @param modules the capabilities
     * @return this builder
     */
    public Builder grants(List<HostModule> modules) {
      grants.clear();
      modules.forEach(this::grant);
      return this;
    }

    /**
     * Builds the spec.
     *
     * @return the immutable spec
     * @throws NullPointerException if name, contract or source is missing
     */
    public ComponentSpec build() {
      return new ComponentSpec(this);
    }
  }
}
