package dev.pillion.server.api.secrets;

import dev.pillion.server.spi.ApiContext;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.GrpcMethod;
import dev.pillion.server.spi.HttpRoute;
import io.dapr.v1.DaprGrpc;
import java.util.List;

/**
 * The secrets API: {@code GET /v1.0/secrets/{store}/{name}} and {@code GET
 * /v1.0/secrets/{store}/bulk} over HTTP, {@code GetSecret} and {@code GetBulkSecret} over gRPC,
 * both mapped to the same {@link SecretsCommand}s, with daprd's errors.
 */
public final class SecretsApi implements ApiModule {
  private final SecretsHttp http;
  private final SecretsGrpc grpc;

  private SecretsApi(SecretsGateway gateway) {
    this.http = new SecretsHttp(gateway);
    this.grpc = new SecretsGrpc(gateway);
  }

  /**
   * Creates the module.
   *
   * @param context the runtime served
   * @return the module
   */
  public static SecretsApi create(ApiContext context) {
    return new SecretsApi(new SecretsGateway(context.runtime(), context.calls()));
  }

  @Override
  public String name() {
    return "secrets";
  }

  @Override
  public List<HttpRoute> httpRoutes() {
    // The bulk route first: "bulk" would otherwise be read as a secret's name, as in daprd, where
    // a secret named "bulk" cannot be read over HTTP either.
    return List.of(
        HttpRoute.create("GET", "/v1.0/secrets/{store}/bulk", http::bulkGet),
        HttpRoute.create("GET", "/v1.0/secrets/{store}/{name}", http::get));
  }

  @Override
  public List<GrpcMethod> grpcMethods() {
    return List.of(
        GrpcMethod.unary(DaprGrpc.getGetSecretMethod(), grpc::getSecret),
        GrpcMethod.unary(DaprGrpc.getGetBulkSecretMethod(), grpc::getBulkSecret));
  }
}
