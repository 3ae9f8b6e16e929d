package dev.pillion.server.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.pillion.invoke.AppUnreachableException;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import dev.pillion.invoke.spi.AppInvoker;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.BulkEntry;
import dev.pillion.pubsub.BulkSubscribe;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.Routes;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.pubsub.SubscriptionSource;
import dev.pillion.server.app.AppHealthProbe;
import io.dapr.v1.AppCallbackAlphaGrpc;
import io.dapr.v1.AppCallbackGrpc;
import io.dapr.v1.AppCallbackHealthCheckGrpc;
import io.dapr.v1.CommonProtos;
import io.dapr.v1.DaprAppCallbackProtos.ListTopicSubscriptionsResponse;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventBulkRequest;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventBulkRequestEntry;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventBulkResponse;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventBulkResponseEntry;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventCERequest;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventRequest;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventResponse;
import io.dapr.v1.DaprAppCallbackProtos.TopicRule;
import io.dapr.v1.DaprAppCallbackProtos.TopicSubscription;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The app behind {@code --app-port} when it speaks gRPC ({@code --app-protocol grpc}): the runtime
 * is a client of the app's Dapr {@code AppCallback} server, as daprd is. Subscriptions come from
 * {@code ListTopicSubscriptions}, events go to {@code OnTopicEvent} (bulk batches to {@code
 * AppCallbackAlpha.OnBulkTopicEventAlpha1}), invocations to {@code OnInvoke}, and health probes to
 * {@code AppCallbackHealthCheck.HealthCheck}. One HTTP/2 connection carries all of them.
 */
public final class GrpcAppChannel implements AppChannel, AppInvoker, AppHealthProbe, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(GrpcAppChannel.class.getName());

  private final String appId;
  private final int port;
  private final ManagedChannel channel;
  private final Duration timeout;

  private GrpcAppChannel(String appId, String host, int port, Duration timeout, int maxMessage) {
    this.appId = appId;
    this.port = port;
    this.timeout = timeout;
    this.channel =
        NettyChannelBuilder.forAddress(host, port)
            .usePlaintext()
            .maxInboundMessageSize(maxMessage)
            .build();
  }

  /**
   * A channel to an app's gRPC server; it connects on its first call.
   *
   * @param appId the app's id, for messages
   * @param host the app's host (loopback)
   * @param port the app's gRPC port
   * @param timeout how long one delivery or subscription listing may take
   * @param maxMessage the largest message accepted from the app
   * @return the channel
   */
  public static GrpcAppChannel create(
      String appId, String host, int port, Duration timeout, int maxMessage) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("app port must be 1..65535, got " + port);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    return new GrpcAppChannel(
        Objects.requireNonNull(appId, "appId"),
        Objects.requireNonNull(host, "host"),
        port,
        timeout,
        maxMessage);
  }

  /**
   * The connection to the app, for the calls proxied to it by {@code dapr-app-id} (any service the
   * app serves, not only {@code AppCallback}).
   *
   * @return the channel; closed with this object
   */
  public io.grpc.Channel channel() {
    return channel;
  }

  private AppCallbackGrpc.AppCallbackBlockingStub blocking(Duration deadline) {
    return AppCallbackGrpc.newBlockingStub(channel)
        .withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Reads the app's programmatic subscriptions ({@code ListTopicSubscriptions}). Entries that are
   * not valid subscriptions are skipped, each with one ERROR line naming it and what is wrong; an
   * app that does not implement the method has none.
   *
   * @return the subscriptions
   * @throws IOException when the app cannot be reached or fails the call
   */
  public List<SubscriptionDefinition> subscriptions() throws IOException {
    ListTopicSubscriptionsResponse answer;
    try {
      answer = blocking(timeout).listTopicSubscriptions(Empty.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        return List.of();
      }
      throw new IOException("ListTopicSubscriptions failed: " + e.getStatus(), e);
    }
    return parse(answer);
  }

  /**
   * The valid subscriptions of an answer; each invalid one is one ERROR line. Also what a Wasm
   * app's {@code app_list_topic_subscriptions} answers are read with.
   *
   * @param answer the app's answer
   * @return the subscriptions
   */
  public static List<SubscriptionDefinition> parse(ListTopicSubscriptionsResponse answer) {
    List<SubscriptionDefinition> subscriptions = new ArrayList<>();
    for (int index = 0; index < answer.getSubscriptionsCount(); index++) {
      TopicSubscription entry = answer.getSubscriptions(index);
      String name = describe(entry, index);
      try {
        subscriptions.add(subscription(entry, name));
      } catch (IllegalArgumentException e) {
        LOG.log(
            System.Logger.Level.ERROR,
            e.getMessage().replaceAll("\\s*\\R\\s*", " ") + "; this subscription is skipped");
      }
    }
    return subscriptions;
  }

  /** Names an entry for the log: its index and, where they are set, pubsub and topic. */
  private static String describe(TopicSubscription entry, int index) {
    List<String> known = new ArrayList<>();
    if (!entry.getPubsubName().isEmpty()) {
      known.add("pubsub '" + entry.getPubsubName() + "'");
    }
    if (!entry.getTopic().isEmpty()) {
      known.add("topic '" + entry.getTopic() + "'");
    }
    String name = "ListTopicSubscriptions[" + index + "]";
    return known.isEmpty() ? name : name + " (" + String.join(", ", known) + ")";
  }

  private static SubscriptionDefinition subscription(TopicSubscription entry, String name) {
    if (entry.getPubsubName().isEmpty()) {
      throw new IllegalArgumentException(name + ": pubsub_name is required");
    }
    if (entry.getTopic().isEmpty()) {
      throw new IllegalArgumentException(name + ": topic is required");
    }
    List<Map.Entry<String, String>> rules = new ArrayList<>();
    for (TopicRule rule : entry.getRoutes().getRulesList()) {
      rules.add(Map.entry(rule.getMatch(), rule.getPath()));
    }
    String defaultRoute = entry.getRoutes().getDefault();
    if (rules.isEmpty() && defaultRoute.isEmpty()) {
      throw new IllegalArgumentException(name + ": routes.default or routes.rules is required");
    }
    Routes routes =
        rules.isEmpty()
            ? Routes.single(defaultRoute)
            : defaultRoute.isEmpty()
                ? Routes.of(rules, name)
                : Routes.of(rules, defaultRoute, name);
    BulkSubscribe bulk;
    try {
      bulk =
          entry.hasBulkSubscribe()
              ? BulkSubscribe.of(
                  entry.getBulkSubscribe().getEnabled(),
                  entry.getBulkSubscribe().getMaxMessagesCount(),
                  entry.getBulkSubscribe().getMaxAwaitDurationMs())
              : BulkSubscribe.disabled();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(name + ": bulk_subscribe: " + e.getMessage(), e);
    }
    SubscriptionDefinition.Builder builder =
        SubscriptionDefinition.builder(
                SubscriptionSource.PROGRAMMATIC,
                "app:" + entry.getPubsubName() + "/" + entry.getTopic(),
                entry.getPubsubName(),
                entry.getTopic())
            .routes(routes)
            .metadata(entry.getMetadataMap())
            .origin(name)
            .bulkSubscribe(bulk);
    if (!entry.getDeadLetterTopic().isEmpty()) {
      builder.deadLetterTopic(entry.getDeadLetterTopic());
    }
    SubscriptionDefinition definition = builder.build();
    definition.rawPayload(); // refused here, naming the subscription, rather than at delivery
    return definition;
  }

  /**
   * Delivers one event with {@code OnTopicEvent}: the CloudEvent's attributes in their fields,
   * other attributes as {@code extensions}, the message's metadata as gRPC headers. The app's
   * status is the result; a failed call (any gRPC error) is a retry, as in daprd.
   */
  @Override
  public DeliveryResult deliver(String route, Event event) throws IOException {
    TopicEventRequest request = topicEvent(route, event);
    try {
      TopicEventResponse answer =
          blocking(timeout)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(event)))
              .onTopicEvent(request);
      return result(answer.getStatus());
    } catch (StatusRuntimeException e) {
      LOG.log(
          System.Logger.Level.INFO,
          "OnTopicEvent of event " + event.id() + " on " + route + " failed: " + e.getStatus());
      return DeliveryResult.RETRY;
    }
  }

  /**
   * The request that delivers an event to an app's route: to a gRPC app's {@code OnTopicEvent} and
   * to a Wasm app's {@code app_on_topic_event}.
   *
   * @param route the subscription's route
   * @param event the event
   * @return the request
   */
  public static TopicEventRequest topicEvent(String route, Event event) {
    TopicEventRequest.Builder request =
        TopicEventRequest.newBuilder()
            .setId(event.id())
            .setSource(event.source())
            .setType(event.type())
            .setSpecVersion(event.specVersion())
            .setDataContentType(event.dataContentType())
            .setData(ByteString.copyFrom(event.dataBuffer()))
            .setTopic(event.topic())
            .setPubsubName(event.pubsubName())
            .setPath(route);
    extensions(event).ifPresent(request::setExtensions);
    return request.build();
  }

  /**
   * The CloudEvent's attributes without a field of their own in {@code TopicEventRequest} (its
   * {@link Event#extensionAttributes()}, read with the event), as the protobuf Struct daprd fills
   * {@code extensions} with: JSON values keep their types, a number is a double. Empty when the
   * message is not a CloudEvent that is one JSON object.
   */
  private static java.util.Optional<Struct> extensions(Event event) {
    if (event.specVersion().isEmpty() || !event.cloudEventIsJsonObject()) {
      return java.util.Optional.empty();
    }
    Struct.Builder struct = Struct.newBuilder();
    event.extensionAttributes().forEach((name, value) -> struct.putFields(name, value(value)));
    return java.util.Optional.of(struct.build());
  }

  /** A JSON value of {@link Event#extensionAttributes()} as a protobuf Value. */
  private static Value value(Object json) {
    if (json instanceof Map<?, ?> object) {
      Struct.Builder struct = Struct.newBuilder();
      object.forEach((name, field) -> struct.putFields((String) name, value(field)));
      return Value.newBuilder().setStructValue(struct).build();
    }
    if (json instanceof List<?> array) {
      ListValue.Builder list = ListValue.newBuilder();
      array.forEach(element -> list.addValues(value(element)));
      return Value.newBuilder().setListValue(list).build();
    }
    if (json instanceof Number number) {
      return Value.newBuilder().setNumberValue(number.doubleValue()).build();
    }
    if (json instanceof Boolean bool) {
      return Value.newBuilder().setBoolValue(bool).build();
    }
    if (json == Event.JSON_NULL) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    return Value.newBuilder().setStringValue((String) json).build();
  }

  /** The message's metadata as gRPC headers (those gRPC can carry), plus {@code pubsubname}. */
  private static Metadata headers(Event event) {
    Metadata headers = new Metadata();
    for (Map.Entry<String, String> entry : event.metadata().entrySet()) {
      String name = entry.getKey().toLowerCase(Locale.ROOT);
      if (name.equals("pubsubname") || name.endsWith("-bin") || name.startsWith("grpc-")) {
        continue;
      }
      try {
        headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), entry.getValue());
      } catch (IllegalArgumentException e) {
        LOG.log(
            System.Logger.Level.DEBUG,
            () -> "event " + event.id() + ": metadata '" + entry.getKey() + "' is not a header");
      }
    }
    headers.put(
        Metadata.Key.of("pubsubname", Metadata.ASCII_STRING_MARSHALLER), event.pubsubName());
    return headers;
  }

  /**
   * What an app's answer to an event means: SUCCESS, DROP, or (for RETRY and any status this
   * runtime does not know) a retry, as daprd.
   *
   * @param status the app's status
   * @return the delivery result
   */
  public static DeliveryResult result(TopicEventResponse.TopicEventResponseStatus status) {
    return switch (status) {
      case SUCCESS -> DeliveryResult.SUCCESS;
      case DROP -> DeliveryResult.DROP;
      default -> DeliveryResult.RETRY;
    };
  }

  /**
   * Delivers a batch with {@code AppCallbackAlpha.OnBulkTopicEventAlpha1} (or {@code
   * AppCallback.OnBulkTopicEvent} when the app implements only that one): CloudEvent entries as
   * {@code cloud_event}, raw-payload entries as {@code bytes}. An entry the app leaves out is
   * retried; a failed call retries them all.
   */
  @Override
  public Map<String, DeliveryResult> deliverBulk(String route, List<BulkEntry> entries) {
    TopicEventBulkRequest request = bulkRequest(route, entries);
    TopicEventBulkResponse answer;
    try {
      try {
        answer =
            AppCallbackAlphaGrpc.newBlockingStub(channel)
                .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
                .onBulkTopicEventAlpha1(request);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNIMPLEMENTED) {
          throw e;
        }
        answer = blocking(timeout).onBulkTopicEvent(request);
      }
    } catch (StatusRuntimeException e) {
      LOG.log(
          System.Logger.Level.INFO,
          "bulk delivery of "
              + entries.size()
              + " events to "
              + route
              + " failed: "
              + e.getStatus()
              + "; they are retried");
      return Map.of();
    }
    Map<String, DeliveryResult> results = new LinkedHashMap<>();
    for (TopicEventBulkResponseEntry status : answer.getStatusesList()) {
      results.put(status.getEntryId(), result(status.getStatus()));
    }
    return results;
  }

  static TopicEventBulkRequest bulkRequest(String route, List<BulkEntry> entries) {
    Event first = entries.get(0).event();
    TopicEventBulkRequest.Builder request =
        TopicEventBulkRequest.newBuilder()
            .setId(java.util.UUID.randomUUID().toString())
            .setTopic(first.topic())
            .setPubsubName(first.pubsubName())
            .setType("com.dapr.event.sent.bulk")
            .setPath(route)
            .putMetadata("pubsubName", first.pubsubName());
    for (BulkEntry entry : entries) {
      Event event = entry.event();
      TopicEventBulkRequestEntry.Builder item =
          TopicEventBulkRequestEntry.newBuilder()
              .setEntryId(entry.entryId())
              .putAllMetadata(event.metadata());
      if (!entry.rawPayload() && !event.specVersion().isEmpty()) {
        TopicEventCERequest.Builder cloudEvent =
            TopicEventCERequest.newBuilder()
                .setId(event.id())
                .setSource(event.source())
                .setType(event.type())
                .setSpecVersion(event.specVersion())
                .setDataContentType(event.dataContentType())
                .setData(ByteString.copyFrom(event.dataBuffer()));
        extensions(event).ifPresent(cloudEvent::setExtensions);
        item.setCloudEvent(cloudEvent).setContentType("application/cloudevents+json");
      } else {
        item.setBytes(
                ByteString.copyFrom(
                    entry.rawPayload() ? event.dataBuffer() : event.cloudEventBuffer()))
            .setContentType("application/octet-stream");
      }
      request.addEntries(item);
    }
    return request.build();
  }

  /**
   * Invokes the app with {@code OnInvoke}: the method, the body as {@code data}'s value, the
   * content type, the verb and query string as the HTTP extension, the caller's headers as gRPC
   * headers. A gRPC error becomes the HTTP status daprd maps it to, with the status message as
   * body; an app that cannot be reached is {@link AppUnreachableException}.
   */
  @Override
  public CompletionStage<InvocationResponse> invoke(InvocationRequest request) {
    CompletableFuture<InvocationResponse> answer = new CompletableFuture<>();
    CommonProtos.InvokeRequest.Builder call =
        CommonProtos.InvokeRequest.newBuilder()
            .setMethod(request.method())
            .setData(Any.newBuilder().setValue(ByteString.copyFrom(request.body())))
            .setContentType(request.contentType());
    CommonProtos.HTTPExtension.Verb verb;
    try {
      verb = CommonProtos.HTTPExtension.Verb.valueOf(request.verb().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      verb = CommonProtos.HTTPExtension.Verb.NONE;
    }
    call.setHttpExtension(
        CommonProtos.HTTPExtension.newBuilder().setVerb(verb).setQuerystring(request.query()));
    Metadata headers = new Metadata();
    for (Map.Entry<String, List<String>> header : request.headers().entrySet()) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (name.endsWith("-bin")
          || name.startsWith("grpc-")
          || name.equals("content-type")
          || name.equals("content-length")
          || name.equals("te")
          || name.equals("connection")
          || name.equals("host")) {
        continue;
      }
      for (String value : header.getValue()) {
        try {
          headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
        } catch (IllegalArgumentException e) {
          LOG.log(System.Logger.Level.DEBUG, () -> "header '" + name + "' not sent over gRPC");
        }
      }
    }
    AppCallbackGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .onInvoke(
            call.build(),
            new StreamObserver<>() {
              @Override
              public void onNext(CommonProtos.InvokeResponse value) {
                answer.complete(
                    InvocationResponse.builder()
                        .status(200)
                        .contentType(value.getContentType())
                        .body(value.getData().getValue().toByteArray())
                        .build());
              }

              @Override
              public void onError(Throwable error) {
                Status status = Status.fromThrowable(error);
                if (status.getCode() == Status.Code.UNAVAILABLE) {
                  answer.completeExceptionally(
                      new AppUnreachableException(
                          appId,
                          "cannot invoke app '"
                              + appId
                              + "' over gRPC on port "
                              + port
                              + ": "
                              + status,
                          error));
                  return;
                }
                answer.complete(
                    InvocationResponse.builder()
                        .status(httpStatus(status.getCode()))
                        .contentType("text/plain")
                        .body(status.getDescription() == null ? "" : status.getDescription())
                        .build());
              }

              @Override
              public void onCompleted() {
                answer.completeExceptionally(
                    new AppUnreachableException(
                        appId, "app '" + appId + "' ended OnInvoke without an answer"));
              }
            });
    return answer;
  }

  /** The HTTP status of a gRPC code, as grpc-gateway (and daprd) map them. */
  static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case CANCELLED -> 499;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case DEADLINE_EXCEEDED -> 504;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case PERMISSION_DENIED -> 403;
      case UNAUTHENTICATED -> 401;
      case RESOURCE_EXHAUSTED -> 429;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      default -> 500;
    };
  }

  /**
   * One {@code AppCallbackHealthCheck.HealthCheck}: healthy when the app answers within the
   * timeout; any gRPC error (including an app that does not implement the service) is unhealthy.
   */
  @Override
  public boolean healthy(Duration timeout) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    try {
      AppCallbackHealthCheckGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .healthCheck(Empty.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.CANCELLED && Thread.interrupted()) {
        throw new InterruptedException();
      }
      LOG.log(System.Logger.Level.DEBUG, () -> "app health check failed: " + e.getStatus());
      return false;
    }
  }

  /** Closes the connection to the app; calls in flight are cancelled after a short grace. */
  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(1, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
