package dev.pillion.server.api.state;

import dev.pillion.server.spi.ApiContext;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.GrpcMethod;
import dev.pillion.server.spi.HttpRoute;
import io.dapr.v1.DaprGrpc;
import java.util.List;

/**
 * The state API: {@code /v1.0/state/...} over HTTP and the state methods of the Dapr gRPC service,
 * both mapped to the same {@link StateCommand}s.
 */
public final class StateApi implements ApiModule {
  private final StateHttp http;
  private final StateGrpc grpc;

  private StateApi(StateGateway gateway) {
    this.http = new StateHttp(gateway);
    this.grpc = new StateGrpc(gateway);
  }

  /**
   * Creates the module.
   *
   * @param context the runtime served
   * @return the module
   */
  public static StateApi create(ApiContext context) {
    return new StateApi(new StateGateway(context.runtime(), context.calls()));
  }

  @Override
  public String name() {
    return "state";
  }

  @Override
  public List<HttpRoute> httpRoutes() {
    // PUT is accepted as POST on the write routes, as daprd does.
    return List.of(
        HttpRoute.create("POST PUT", "/v1.0/state/{store}", http::save),
        HttpRoute.create("POST PUT", "/v1.0/state/{store}/bulk", http::bulkGet),
        HttpRoute.create("POST PUT", "/v1.0/state/{store}/transaction", http::transaction),
        HttpRoute.create("GET", "/v1.0/state/{store}/{key}", http::get),
        HttpRoute.create("DELETE", "/v1.0/state/{store}/{key}", http::delete));
  }

  @Override
  public List<GrpcMethod> grpcMethods() {
    return List.of(
        GrpcMethod.unary(DaprGrpc.getGetStateMethod(), grpc::getState),
        GrpcMethod.unary(DaprGrpc.getGetBulkStateMethod(), grpc::getBulkState),
        GrpcMethod.unary(DaprGrpc.getSaveStateMethod(), grpc::saveState),
        GrpcMethod.unary(DaprGrpc.getDeleteStateMethod(), grpc::deleteState),
        GrpcMethod.unary(DaprGrpc.getDeleteBulkStateMethod(), grpc::deleteBulkState),
        GrpcMethod.unary(
            DaprGrpc.getExecuteStateTransactionMethod(), grpc::executeStateTransaction));
  }
}
