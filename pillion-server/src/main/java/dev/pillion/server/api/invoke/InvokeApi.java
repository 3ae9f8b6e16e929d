package dev.pillion.server.api.invoke;

import dev.pillion.server.spi.ApiContext;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.GrpcMethod;
import dev.pillion.server.spi.HttpApiRequest;
import dev.pillion.server.spi.HttpRoute;
import io.dapr.v1.DaprGrpc;
import java.util.List;
import java.util.Optional;

/**
 * The service invocation API: {@code /v1.0/invoke/{appId}/method/{method...}} with any verb, the
 * {@code dapr-app-id} header form on any path no other route takes (daprd's fallback route), and
 * gRPC {@code InvokeService}, all run through the runtime's {@link
 * dev.pillion.invoke.InvocationService} with daprd's errors.
 */
public final class InvokeApi implements ApiModule {
  private final InvokeHttp http;
  private final InvokeGrpc grpc;

  private InvokeApi(InvokeGateway gateway) {
    this.http = new InvokeHttp(gateway);
    this.grpc = new InvokeGrpc(gateway);
  }

  /**
   * Creates the module.
   *
   * @param context the runtime served
   * @return the module
   */
  public static InvokeApi create(ApiContext context) {
    return new InvokeApi(new InvokeGateway(context.runtime().invocation()));
  }

  @Override
  public String name() {
    return "invoke";
  }

  @Override
  public List<HttpRoute> httpRoutes() {
    return List.of(
        HttpRoute.create("*", "/v1.0/invoke/{appId}/method/{method...}", http::invokeByPath),
        HttpRoute.create("*", "/v1.0/invoke/{appId}/method", http::invokeWithoutMethod),
        HttpRoute.create("*", "/v1.0/invoke/{rest...}", http::invokeWithoutAppId));
  }

  @Override
  public Optional<HttpRoute.Handler> fallback(HttpApiRequest request) {
    return InvokeHttp.headerTarget(request)
        .map(target -> (HttpRoute.Handler) r -> http.invokeByHeader(r, target));
  }

  @Override
  public List<GrpcMethod> grpcMethods() {
    return List.of(
        GrpcMethod.unary(DaprGrpc.getInvokeServiceMethod(), grpc::invokeService).readingHeaders());
  }
}
