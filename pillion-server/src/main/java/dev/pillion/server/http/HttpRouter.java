package dev.pillion.server.http;

import dev.pillion.server.DaprApiError;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.HttpApiRequest;
import dev.pillion.server.spi.HttpRoute;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the route for a request: the first registered route whose pattern matches the path and that
 * takes the method. Routes are indexed by their first two literal segments (version and API, such
 * as {@code v1.0/state}), so a request is compared with its API's few routes, not all of them; the
 * order among the routes that could match a path is the registration order.
 */
public final class HttpRouter {
  private final Map<String, List<HttpRoute>> byPrefix = new HashMap<>();
  private final List<HttpRoute> unprefixed = new ArrayList<>();
  private final List<ApiModule> modules;

  /**
   * Creates the router.
   *
   * @param routes the routes, in the order they are tried
   * @param modules the modules asked, in order, about a request no route matched
   */
  public HttpRouter(List<HttpRoute> routes, List<ApiModule> modules) {
    this.modules = List.copyOf(modules);
    for (HttpRoute route : routes) {
      String prefix = prefix(route);
      if (prefix.isEmpty()) {
        // A route without a literal prefix could match any path: every bucket tries it in turn.
        unprefixed.add(route);
        byPrefix.values().forEach(bucket -> bucket.add(route));
      } else {
        byPrefix.computeIfAbsent(prefix, p -> new ArrayList<>(unprefixed)).add(route);
      }
    }
  }

  private static String prefix(HttpRoute route) {
    String version = route.literalAt(0);
    String api = route.literalAt(1);
    return version.isEmpty() || api.isEmpty() ? "" : version + "/" + api;
  }

  /**
   * The route for a request.
   *
   * @param method the request's method
   * @param segments its decoded path segments
   * @return the route, or empty when none matches
   */
  public Optional<HttpRoute> route(String method, List<String> segments) {
    List<HttpRoute> candidates =
        segments.size() >= 2
            ? byPrefix.getOrDefault(segments.get(0) + "/" + segments.get(1), unprefixed)
            : unprefixed;
    for (HttpRoute route : candidates) {
      if (route.takes(method) && route.matchesPath(segments)) {
        return Optional.of(route);
      }
    }
    return Optional.empty();
  }

  /**
   * The handler of the first module that takes a request no route matched.
   *
   * @param request the request
   * @return the handler, or empty when no module takes it
   */
  public Optional<HttpRoute.Handler> fallback(HttpApiRequest request) {
    for (ApiModule module : modules) {
      Optional<HttpRoute.Handler> handler = module.fallback(request);
      if (handler.isPresent()) {
        return handler;
      }
    }
    return Optional.empty();
  }

  /**
   * The error for a request no route matched: what the first module that knows answers (a 501 for
   * an API daprd has and Pillion lacks), else a 404.
   *
   * @param request the request
   * @return the error
   */
  public DaprApiError unrouted(HttpApiRequest request) {
    for (ApiModule module : modules) {
      Optional<DaprApiError> error = module.unrouted(request);
      if (error.isPresent()) {
        return error.get();
      }
    }
    return new DaprApiError(
        404,
        "ERR_NOT_FOUND",
        Status.Code.NOT_FOUND,
        "ERR_NOT_FOUND",
        "no route for "
            + RequestTarget.printable(request.method())
            + " "
            + RequestTarget.printable(request.rawPath()));
  }
}
