package dev.pillion.server.api.pubsub;

import dev.pillion.Pillion;
import dev.pillion.server.MetadataGateway;
import dev.pillion.server.spi.ApiContext;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.GrpcMethod;
import dev.pillion.server.spi.HttpRoute;
import io.dapr.v1.DaprGrpc;
import java.util.List;

/**
 * The pub/sub API: publishing (single and bulk) over both protocols through the same commands, and
 * gRPC streaming subscriptions ({@code SubscribeTopicEventsAlpha1}), which the metadata API lists.
 */
public final class PubSubApi implements ApiModule {
  private final PubSubHttp http;
  private final PubSubGrpc grpc;
  private final Pillion runtime;
  private final MetadataGateway metadata;

  private PubSubApi(ApiContext context) {
    PubSubGateway gateway = new PubSubGateway(context.runtime(), context.calls());
    this.http = new PubSubHttp(gateway);
    this.grpc = new PubSubGrpc(gateway);
    this.runtime = context.runtime();
    this.metadata = context.metadata();
  }

  /**
   * Creates the module.
   *
   * @param context the runtime served, and the metadata streaming subscriptions are listed in
   * @return the module
   */
  public static PubSubApi create(ApiContext context) {
    return new PubSubApi(context);
  }

  @Override
  public String name() {
    return "pubsub";
  }

  @Override
  public List<HttpRoute> httpRoutes() {
    // PUT is accepted as POST, as daprd does. Bulk publish is served under v1.0-alpha1 too (daprd
    // has it in both); the single publish only under v1.0. The bulk routes come first: a
    // component named "bulk" cannot be published to singly, as in daprd.
    String write = "POST PUT";
    return List.of(
        HttpRoute.create(write, "/v1.0/publish/bulk/{pubsub}/{topic...}", http::bulkPublish),
        HttpRoute.create(write, "/v1.0/publish/bulk/{pubsub}", http::bulkPublishWithoutTopic),
        HttpRoute.create(write, "/v1.0/publish/bulk", PubSubHttp::noPubsub),
        HttpRoute.create(write, "/v1.0-alpha1/publish/bulk/{pubsub}/{topic...}", http::bulkPublish),
        HttpRoute.create(
            write, "/v1.0-alpha1/publish/bulk/{pubsub}", http::bulkPublishWithoutTopic),
        HttpRoute.create(write, "/v1.0-alpha1/publish/bulk", PubSubHttp::noPubsub),
        HttpRoute.create(write, "/v1.0/publish/{pubsub}/{topic...}", http::publish),
        HttpRoute.create(write, "/v1.0/publish/{pubsub}", http::publishWithoutTopic),
        HttpRoute.create(write, "/v1.0/publish", PubSubHttp::noPubsub));
  }

  @Override
  public List<GrpcMethod> grpcMethods() {
    return List.of(
        GrpcMethod.unary(DaprGrpc.getPublishEventMethod(), grpc::publishEvent).readingHeaders(),
        GrpcMethod.unary(DaprGrpc.getBulkPublishEventMethod(), grpc::bulkPublishEvent),
        GrpcMethod.unary(DaprGrpc.getBulkPublishEventAlpha1Method(), grpc::bulkPublishEvent),
        GrpcMethod.bidiStreaming(
            DaprGrpc.getSubscribeTopicEventsAlpha1Method(),
            responses -> new StreamingSubscription(runtime, metadata, responses)));
  }
}
