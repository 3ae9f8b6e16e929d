package dev.pillion.server.spi;

import dev.pillion.Pillion;
import dev.pillion.server.MetadataGateway;
import dev.pillion.server.Readiness;
import java.util.Objects;

/**
 * What every module of one served runtime shares: the runtime, the metadata both protocols report
 * and store, the readiness the health check reports, the shutdown action and the way components are
 * called. Immutable.
 */
public final class ApiContext {
  private final Pillion runtime;
  private final MetadataGateway metadata;
  private final Readiness readiness;
  private final Runnable shutdown;
  private final ComponentCalls calls;

  private ApiContext(Builder builder) {
    this.runtime = Objects.requireNonNull(builder.runtime, "runtime");
    this.metadata = Objects.requireNonNull(builder.metadata, "metadata");
    this.readiness = builder.readiness;
    this.shutdown = builder.shutdown;
    this.calls = builder.calls;
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
   * The runtime served.
   *
   * @return the runtime
   */
  public Pillion runtime() {
    return runtime;
  }

  /**
   * The metadata the metadata API of both protocols reports, and the extended metadata they store.
   *
   * @return the metadata
   */
  public MetadataGateway metadata() {
    return metadata;
  }

  /**
   * Whether the runtime is ready, as {@code GET /v1.0/healthz} reports it.
   *
   * @return the readiness
   */
  public Readiness readiness() {
    return readiness;
  }

  /**
   * What a shutdown request triggers; it returns at once (the shutdown runs asynchronously).
   *
   * @return the shutdown action
   */
  public Runnable shutdown() {
    return shutdown;
  }

  /**
   * How calls into components are run: on the calling thread, or on the bounded executor for a
   * blocking component.
   *
   * @return the component calls
   */
  public ComponentCalls calls() {
    return calls;
  }

  /** Builds an {@link ApiContext}. */
  public static final class Builder {
    private Pillion runtime;
    private MetadataGateway metadata;
    private Readiness readiness = Readiness.ready();
    private Runnable shutdown = () -> {};
    private ComponentCalls calls = ComponentCalls.inline();

    private Builder() {}

    /**
     * The runtime served (required).
     *
     * @param runtime the runtime
     * @return this builder
     */
    public Builder runtime(Pillion runtime) {
      this.runtime = Objects.requireNonNull(runtime, "runtime");
      return this;
    }

    /**
     * The metadata both protocols report and store (required).
     *
     * @param metadata the metadata
     * @return this builder
     */
    public Builder metadata(MetadataGateway metadata) {
      this.metadata = Objects.requireNonNull(metadata, "metadata");
      return this;
    }

    /**
     * The readiness the health check reports; ready by default.
     *
     * @param readiness the readiness
     * @return this builder
     */
    public Builder readiness(Readiness readiness) {
      this.readiness = Objects.requireNonNull(readiness, "readiness");
      return this;
    }

    /**
     * What a shutdown request triggers; it must return at once. Nothing by default.
     *
     * @param shutdown the action
     * @return this builder
     */
    public Builder shutdown(Runnable shutdown) {
      this.shutdown = Objects.requireNonNull(shutdown, "shutdown");
      return this;
    }

    /**
     * How components are called; every call on the calling thread by default.
     *
     * @param calls the component calls
     * @return this builder
     */
    public Builder calls(ComponentCalls calls) {
      this.calls = Objects.requireNonNull(calls, "calls");
      return this;
    }

    /**
     * Builds the context.
     *
     * @return the context
     */
    public ApiContext build() {
      return new ApiContext(this);
    }
  }
}
