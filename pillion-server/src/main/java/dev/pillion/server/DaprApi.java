package dev.pillion.server;

import dev.pillion.Pillion;
import dev.pillion.server.api.invoke.InvokeApi;
import dev.pillion.server.api.pubsub.PubSubApi;
import dev.pillion.server.api.runtime.RuntimeApi;
import dev.pillion.server.api.secrets.SecretsApi;
import dev.pillion.server.api.state.StateApi;
import dev.pillion.server.api.unimplemented.UnimplementedApis;
import dev.pillion.server.grpc.DaprServiceDefinition;
import dev.pillion.server.spi.ApiContext;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.ComponentCalls;
import dev.pillion.server.spi.HttpRoute;
import io.grpc.ServerServiceDefinition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Dapr API of one runtime, assembled from its {@linkplain ApiModule API modules}: the HTTP
 * routes and the gRPC service both faces serve ({@link PillionServer} over sockets, the embedded
 * SDK channel in-process). Every module is created once, so both protocols share its state (the
 * extended metadata, the streaming subscriptions). Immutable once built.
 *
 * <p>The building blocks' modules are registered here, in one list: adding a building block's API
 * is one module and one line there. The table of daprd APIs Pillion lacks ({@link
 * UnimplementedApis}) is always registered last, after any extra modules, and holds only what they
 * leave unserved: a module that implements one of those APIs takes its rows out of the table.
 */
public final class DaprApi {
  /** The modules of the building blocks Pillion serves, in the order their routes are tried. */
  private static final List<ApiModule.Factory> BUILDING_BLOCKS =
      List.of(
          RuntimeApi::create,
          StateApi::create,
          PubSubApi::create,
          SecretsApi::create,
          InvokeApi::create);

  private final ApiContext context;
  private final List<ApiModule> modules;
  private final List<HttpRoute> httpRoutes;
  private final Map<String, String> grpcOwners;

  private DaprApi(Builder builder) {
    Pillion runtime = Objects.requireNonNull(builder.runtime, "runtime");
    this.context =
        ApiContext.builder()
            .runtime(runtime)
            .metadata(new MetadataGateway(runtime, builder.runtimeVersion))
            .readiness(builder.readiness)
            .shutdown(builder.shutdown)
            .calls(builder.calls)
            .build();
    List<ApiModule.Factory> factories = new ArrayList<>(BUILDING_BLOCKS);
    factories.addAll(builder.extraModules);
    List<ApiModule> created = new ArrayList<>();
    for (ApiModule.Factory factory : factories) {
      created.add(Objects.requireNonNull(factory.create(context), "an API module factory"));
    }
    created.add(UnimplementedApis.notServedBy(created));
    this.modules = List.copyOf(created);
    this.httpRoutes = collectRoutes(modules);
    this.grpcOwners = DaprServiceDefinition.owners(modules);
  }

  /**
   * A builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Every module's routes in order; two routes with the same methods and shape are refused. */
  private static List<HttpRoute> collectRoutes(List<ApiModule> modules) {
    List<HttpRoute> routes = new ArrayList<>();
    Map<String, List<Registered>> byShape = new HashMap<>();
    for (ApiModule module : modules) {
      for (HttpRoute route : module.httpRoutes()) {
        List<Registered> sameShape = byShape.computeIfAbsent(route.shape(), s -> new ArrayList<>());
        for (Registered earlier : sameShape) {
          if (overlap(earlier.route(), route)) {
            throw new IllegalStateException(
                "the HTTP route "
                    + route
                    + " of API module '"
                    + module.name()
                    + "' is already served by API module '"
                    + earlier.module()
                    + "' ("
                    + earlier.route()
                    + ")");
          }
        }
        sameShape.add(new Registered(module.name(), route));
        routes.add(route);
      }
    }
    return List.copyOf(routes);
  }

  private record Registered(String module, HttpRoute route) {}

  private static boolean overlap(HttpRoute a, HttpRoute b) {
    return a.methods().isEmpty()
        || b.methods().isEmpty()
        || !Collections.disjoint(a.methods(), b.methods());
  }

  /**
   * What the modules share: the runtime, the metadata, the readiness, the shutdown action and the
   * component calls.
   *
   * @return the context
   */
  public ApiContext context() {
    return context;
  }

  /**
   * The registered modules, in registration order (the unimplemented-API table last).
   *
   * @return the modules
   */
  public List<ApiModule> modules() {
    return modules;
  }

  /**
   * Every module's HTTP routes, in the order they are tried.
   *
   * @return the routes
   */
  public List<HttpRoute> httpRoutes() {
    return httpRoutes;
  }

  /**
   * Which module serves each gRPC method of {@code dapr.proto.runtime.v1.Dapr}.
   *
   * @return the module's name by bare method name
   */
  public Map<String, String> grpcMethodOwners() {
    return grpcOwners;
  }

  /**
   * The gRPC service: every module's methods, UNIMPLEMENTED for the rest; the methods registered
   * {@link dev.pillion.server.spi.GrpcMethod#readingHeaders reading headers} see their call's
   * headers through {@link dev.pillion.server.spi.GrpcHeaders}.
   *
   * @return the service definition to add to a gRPC server
   */
  public ServerServiceDefinition grpcService() {
    return DaprServiceDefinition.bind(modules);
  }

  /** Builds a {@link DaprApi}. */
  public static final class Builder {
    private Pillion runtime;
    private String runtimeVersion = PillionServer.RUNTIME_VERSION;
    private Readiness readiness = Readiness.ready();
    private Runnable shutdown = () -> {};
    private ComponentCalls calls = ComponentCalls.inline();
    private final List<ApiModule.Factory> extraModules = new ArrayList<>();

    private Builder() {}

    /**
     * The runtime to serve (required).
     *
     * @param runtime the runtime
     * @return this builder
     */
    public Builder runtime(Pillion runtime) {
      this.runtime = Objects.requireNonNull(runtime, "runtime");
      return this;
    }

    /**
     * The version the metadata API reports; {@link PillionServer#RUNTIME_VERSION} by default.
     *
     * @param version the version
     * @return this builder
     */
    public Builder runtimeVersion(String version) {
      this.runtimeVersion = Objects.requireNonNull(version, "version");
      return this;
    }

    /**
     * What {@code GET /v1.0/healthz} reports; ready by default.
     *
     * @param readiness the readiness
     * @return this builder
     */
    public Builder readiness(Readiness readiness) {
      this.readiness = Objects.requireNonNull(readiness, "readiness");
      return this;
    }

    /**
     * What a shutdown request triggers, after it is answered; it must return at once. Nothing by
     * default.
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
     * Registers a module after the building blocks' (and before the unimplemented-API table), for
     * an API Pillion does not bundle; what it serves of an API the table lists is no longer
     * answered 501 / UNIMPLEMENTED.
     *
     * @param factory creates the module
     * @return this builder
     */
    public Builder module(ApiModule.Factory factory) {
      extraModules.add(Objects.requireNonNull(factory, "factory"));
      return this;
    }

    /**
     * Creates the modules and checks that no method or route is served twice.
     *
     * @return the API
     * @throws IllegalStateException when two modules serve the same gRPC method or HTTP route
     */
    public DaprApi build() {
      return new DaprApi(this);
    }
  }
}
