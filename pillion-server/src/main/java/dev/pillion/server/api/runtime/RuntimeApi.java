package dev.pillion.server.api.runtime;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Empty;
import dev.pillion.Pillion;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.server.DaprApiError;
import dev.pillion.server.DaprApiException;
import dev.pillion.server.MetadataGateway;
import dev.pillion.server.Readiness;
import dev.pillion.server.http.JsonBody;
import dev.pillion.server.http.RequestTarget;
import dev.pillion.server.spi.ApiContext;
import dev.pillion.server.spi.ApiModule;
import dev.pillion.server.spi.GrpcMethod;
import dev.pillion.server.spi.HttpApiRequest;
import dev.pillion.server.spi.HttpReply;
import dev.pillion.server.spi.HttpRoute;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprMetadataProtos;
import io.dapr.v1.DaprProtos;
import io.grpc.ServerMethodDefinition;
import io.grpc.stub.ServerCalls;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What daprd serves about the runtime itself: the health checks, the metadata API (read and set)
 * and shutdown, over both protocols.
 */
public final class RuntimeApi implements ApiModule {
  private static final int NO_CONTENT = 204;

  private final MetadataGateway metadata;
  private final Readiness readiness;
  private final Runnable shutdown;

  private RuntimeApi(ApiContext context) {
    this.metadata = context.metadata();
    this.readiness = context.readiness();
    this.shutdown = context.shutdown();
  }

  /**
   * Creates the module.
   *
   * @param context the metadata reported, the readiness and the shutdown action
   * @return the module
   */
  public static RuntimeApi create(ApiContext context) {
    return new RuntimeApi(context);
  }

  @Override
  public String name() {
    return "runtime";
  }

  @Override
  public List<HttpRoute> httpRoutes() {
    return List.of(
        // The health checks are the only calls daprd serves without the API token.
        HttpRoute.create("GET", "/v1.0/healthz", this::healthz).withoutApiToken(),
        // Healthy as soon as the API serves: the components are loaded by then.
        HttpRoute.create("GET", "/v1.0/healthz/outbound", request -> reply(empty()))
            .withoutApiToken(),
        HttpRoute.create("GET", "/v1.0/metadata", this::getMetadata),
        HttpRoute.create("PUT", "/v1.0/metadata/{key}", this::putMetadata),
        HttpRoute.create("POST", "/v1.0/shutdown", request -> reply(empty().afterSent(shutdown))));
  }

  @Override
  public List<GrpcMethod> grpcMethods() {
    return List.of(
        GrpcMethod.unary(
            DaprGrpc.getGetMetadataMethod(),
            request -> CompletableFuture.completedFuture(toProto(MetadataView.of(metadata)))),
        GrpcMethod.unary(
            DaprGrpc.getSetMetadataMethod(),
            request -> {
              metadata.put(request.getKey(), request.getValue());
              return CompletableFuture.completedFuture(Empty.getDefaultInstance());
            }),
        // Shutdown answers first, then shuts down (asynchronously), so the caller gets its answer.
        GrpcMethod.of(
            ServerMethodDefinition.create(
                DaprGrpc.getShutdownMethod(),
                ServerCalls.<DaprProtos.ShutdownRequest, Empty>asyncUnaryCall(
                    (request, observer) -> {
                      observer.onNext(Empty.getDefaultInstance());
                      observer.onCompleted();
                      shutdown.run();
                    }))));
  }

  private static HttpReply empty() {
    return HttpReply.empty(NO_CONTENT);
  }

  private static CompletionStage<HttpReply> reply(HttpReply reply) {
    return CompletableFuture.completedFuture(reply);
  }

  /** {@code GET /v1.0/healthz}: 500 ERR_HEALTH_NOT_READY, naming what it waits for, until ready. */
  private CompletionStage<HttpReply> healthz(HttpApiRequest request) {
    readiness
        .pending()
        .ifPresent(
            waiting -> {
              throw new DaprApiException(DaprApiError.healthNotReady(waiting));
            });
    return reply(empty());
  }

  /** {@code GET /v1.0/metadata}. */
  private CompletionStage<HttpReply> getMetadata(HttpApiRequest request) {
    return reply(HttpReply.json(200, toJson(MetadataView.of(metadata))));
  }

  /** {@code PUT /v1.0/metadata/{key}}: the body, as text, is the value. */
  private CompletionStage<HttpReply> putMetadata(HttpApiRequest request) {
    String key = request.pathParameter("key");
    String value;
    try {
      value =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(request.body()))
              .toString();
    } catch (CharacterCodingException e) {
      throw new DaprApiException(
          DaprApiError.malformed(
              "the value of extended metadata '"
                  + RequestTarget.printable(key)
                  + "' (the request body) is not UTF-8 text"));
    }
    metadata.put(key, value);
    return reply(empty());
  }

  /** The metadata with daprd's HTTP field names. */
  private static ObjectNode toJson(MetadataView view) {
    ObjectNode body =
        JsonBody.JSON
            .createObjectNode()
            .put("id", view.appId())
            .put("runtimeVersion", view.runtimeVersion());
    ArrayNode components = body.putArray("components");
    for (Pillion.LoadedComponent component : view.components()) {
      ObjectNode entry =
          components
              .addObject()
              .put("name", component.name())
              .put("type", component.type())
              .put("version", component.version());
      ArrayNode capabilities = entry.putArray("capabilities");
      component.capabilities().forEach(capabilities::add);
    }
    ArrayNode subscriptions = body.putArray("subscriptions");
    for (MetadataGateway.ActiveSubscription active : view.subscriptions()) {
      SubscriptionDefinition subscription = active.definition();
      ObjectNode entry =
          subscriptions
              .addObject()
              .put("pubsubname", subscription.pubsubName())
              .put("topic", subscription.topic())
              .put("type", active.type().name())
              .put("deadLetterTopic", subscription.deadLetterTopic().orElse(""));
      ArrayNode rules = entry.putArray("rules");
      subscription
          .routes()
          .rules()
          .forEach(
              rule -> rules.addObject().put("match", rule.getKey()).put("path", rule.getValue()));
      subscription
          .routes()
          .defaultRoute()
          .ifPresent(path -> rules.addObject().put("match", "").put("path", path));
      ObjectNode meta = entry.putObject("metadata");
      subscription.metadata().forEach(meta::put);
    }
    ObjectNode extended = body.putObject("extended");
    view.extended().forEach(extended::put);
    if (view.appConnection() != null) {
      MetadataGateway.AppConnection app = view.appConnection();
      ObjectNode connection =
          body.putObject("appConnectionProperties")
              .put("port", app.port())
              .put("protocol", app.protocol())
              .put("channelAddress", app.channelAddress());
      if (app.maxConcurrency() > 0) {
        connection.put("maxConcurrency", app.maxConcurrency());
      }
      if (view.appHealthCheck() != null) {
        MetadataGateway.AppHealthCheck check = view.appHealthCheck();
        connection
            .putObject("health")
            .put("healthCheckPath", check.path())
            .put("healthProbeInterval", GoDurations.format(check.interval()))
            .put("healthProbeTimeout", GoDurations.format(check.timeout()))
            .put("healthThreshold", check.threshold());
      }
    }
    return body;
  }

  /** The metadata as daprd's {@code GetMetadataResponse}. */
  private static DaprMetadataProtos.GetMetadataResponse toProto(MetadataView view) {
    DaprMetadataProtos.GetMetadataResponse.Builder response =
        DaprMetadataProtos.GetMetadataResponse.newBuilder()
            .setId(view.appId())
            .setRuntimeVersion(view.runtimeVersion())
            .putAllExtendedMetadata(view.extended());
    if (view.appConnection() != null) {
      MetadataGateway.AppConnection app = view.appConnection();
      DaprMetadataProtos.AppConnectionProperties.Builder connection =
          DaprMetadataProtos.AppConnectionProperties.newBuilder()
              .setPort(app.port())
              .setProtocol(app.protocol())
              .setChannelAddress(app.channelAddress())
              .setMaxConcurrency(app.maxConcurrency());
      if (view.appHealthCheck() != null) {
        MetadataGateway.AppHealthCheck check = view.appHealthCheck();
        connection.setHealth(
            DaprMetadataProtos.AppConnectionHealthProperties.newBuilder()
                .setHealthCheckPath(check.path())
                .setHealthProbeInterval(GoDurations.format(check.interval()))
                .setHealthProbeTimeout(GoDurations.format(check.timeout()))
                .setHealthThreshold(check.threshold()));
      }
      response.setAppConnectionProperties(connection);
    }
    for (Pillion.LoadedComponent component : view.components()) {
      response.addRegisteredComponents(
          DaprMetadataProtos.RegisteredComponents.newBuilder()
              .setName(component.name())
              .setType(component.type())
              .setVersion(component.version())
              .addAllCapabilities(component.capabilities()));
    }
    for (MetadataGateway.ActiveSubscription active : view.subscriptions()) {
      SubscriptionDefinition subscription = active.definition();
      DaprMetadataProtos.PubsubSubscriptionRules.Builder rules =
          DaprMetadataProtos.PubsubSubscriptionRules.newBuilder();
      subscription
          .routes()
          .rules()
          .forEach(
              rule ->
                  rules.addRules(
                      DaprMetadataProtos.PubsubSubscriptionRule.newBuilder()
                          .setMatch(rule.getKey())
                          .setPath(rule.getValue())));
      subscription
          .routes()
          .defaultRoute()
          .ifPresent(
              path ->
                  rules.addRules(
                      DaprMetadataProtos.PubsubSubscriptionRule.newBuilder().setPath(path)));
      response.addSubscriptions(
          DaprMetadataProtos.PubsubSubscription.newBuilder()
              .setPubsubName(subscription.pubsubName())
              .setTopic(subscription.topic())
              .putAllMetadata(subscription.metadata())
              .setRules(rules)
              .setDeadLetterTopic(subscription.deadLetterTopic().orElse(""))
              .setType(DaprMetadataProtos.PubsubSubscriptionType.valueOf(active.type().name())));
    }
    return response.build();
  }
}
