package dev.pillion.server.spi;

import dev.pillion.server.DaprApiError;
import java.util.List;
import java.util.Optional;

/**
 * One building block's part of the Dapr API: its HTTP routes and its methods of the gRPC service
 * {@code dapr.proto.runtime.v1.Dapr}. A module maps each request once into a protocol-neutral
 * command, runs it, and renders the result for the protocol it came from, so both protocols behave
 * alike by construction. Modules are created once per served runtime (both protocols share the
 * instance) by a {@link Factory} registered with the server.
 */
public interface ApiModule {
  /**
   * The module's name, used in errors about conflicting registrations.
   *
   * @return e.g. {@code state}
   */
  String name();

  /**
   * The HTTP routes the module serves. The server tries the routes of all modules in registration
   * order, so a module registered earlier wins where two patterns could match the same path; two
   * routes with the same method and the same pattern shape are refused when the server is built.
   *
   * @return the routes
   */
  default List<HttpRoute> httpRoutes() {
    return List.of();
  }

  /**
   * The methods of {@code dapr.proto.runtime.v1.Dapr} the module serves. A method served by two
   * modules is refused when the server is built; a method no module serves answers UNIMPLEMENTED.
   *
   * @return the methods
   */
  default List<GrpcMethod> grpcMethods() {
    return List.of();
  }

  /**
   * The handler for an HTTP request no route matched, when this module takes such requests (the
   * service invocation module takes any path of a request carrying {@code dapr-app-id}, as daprd's
   * fallback route does). Asked in registration order, before {@link #unrouted}; the API token is
   * checked first.
   *
   * @param request the request
   * @return the handler, or empty to leave the request to the next module
   */
  default Optional<HttpRoute.Handler> fallback(HttpApiRequest request) {
    return Optional.empty();
  }

  /**
   * The error for an HTTP request no route matched, when this module knows what daprd would answer
   * (a 501 for a request addressed to another app, say). Asked in registration order; when no
   * module answers, the request is a 404.
   *
   * @param request the request
   * @return the error to answer with, or empty to leave the request to the next module
   */
  default Optional<DaprApiError> unrouted(HttpApiRequest request) {
    return Optional.empty();
  }

  /** Creates a module for one served runtime. */
  @FunctionalInterface
  interface Factory {
    /**
     * Creates the module.
     *
     * @param context what the module serves and shares with the other modules
     * @return the module
     */
    ApiModule create(ApiContext context);
  }
}
