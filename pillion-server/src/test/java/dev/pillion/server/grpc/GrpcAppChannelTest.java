package dev.pillion.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.pillion.Pillion;
import dev.pillion.server.AppProtocol;
import dev.pillion.server.PillionServer;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.domain.HttpExtension;
import io.dapr.config.Properties;
import io.dapr.v1.AppCallbackAlphaGrpc;
import io.dapr.v1.AppCallbackGrpc;
import io.dapr.v1.AppCallbackHealthCheckGrpc;
import io.dapr.v1.CommonProtos;
import io.dapr.v1.DaprAppCallbackProtos.BulkSubscribeConfig;
import io.dapr.v1.DaprAppCallbackProtos.HealthCheckResponse;
import io.dapr.v1.DaprAppCallbackProtos.ListTopicSubscriptionsResponse;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventBulkRequest;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventBulkResponse;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventBulkResponseEntry;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventRequest;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventResponse;
import io.dapr.v1.DaprAppCallbackProtos.TopicEventResponse.TopicEventResponseStatus;
import io.dapr.v1.DaprAppCallbackProtos.TopicRoutes;
import io.dapr.v1.DaprAppCallbackProtos.TopicRule;
import io.dapr.v1.DaprAppCallbackProtos.TopicSubscription;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gRPC app ({@code --app-protocol grpc}): a test server implementing Dapr's {@code AppCallback},
 * {@code AppCallbackAlpha} and {@code AppCallbackHealthCheck} declares its subscriptions with
 * {@code ListTopicSubscriptions}, receives events published with the SDK over {@code OnTopicEvent}
 * (its SUCCESS, RETRY and DROP, and gRPC errors, drive redelivery), a bulk subscription's batches
 * over {@code OnBulkTopicEventAlpha1}, a declared subscription's events, and invocations over
 * {@code OnInvoke}.
 */
class GrpcAppChannelTest {
  private static final String PUBSUB_YAML =
      "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
          + "spec:\n  type: pubsub.in-memory\n  version: v1\n";
  private static final String DECLARED_YAML =
      "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: audit\n"
          + "spec:\n  pubsubname: pubsub\n  topic: audit\n  routes:\n    default: /audit\n";

  @TempDir Path resources;
  private final Logger channelLog = Logger.getLogger(GrpcAppChannel.class.getName());
  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          logged.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private Server app;
  private Pillion runtime;
  private PillionServer server;
  private DaprClient client;

  /**
   * The events the app accepted, by route: subscriptions deliver concurrently, so a test waiting
   * for one route must not consume (and lose) another route's event that arrived first.
   */
  private final Map<String, BlockingQueue<TopicEventRequest>> received = new ConcurrentHashMap<>();

  private final BlockingQueue<TopicEventBulkRequest> batches = new LinkedBlockingQueue<>();
  private final AtomicInteger retriesLeft = new AtomicInteger(1);
  private final AtomicInteger failuresLeft = new AtomicInteger(1);
  private final BlockingQueue<String> dropped = new LinkedBlockingQueue<>();
  private final AtomicBoolean healthy = new AtomicBoolean(true);
  private final Map<String, Metadata> callHeaders = new ConcurrentHashMap<>();
  private final BlockingQueue<CommonProtos.InvokeRequest> invocations = new LinkedBlockingQueue<>();

  private static TopicSubscription subscription(String topic, String route) {
    return TopicSubscription.newBuilder()
        .setPubsubName("pubsub")
        .setTopic(topic)
        .setRoutes(TopicRoutes.newBuilder().setDefault(route))
        .build();
  }

  private final class Callback extends AppCallbackGrpc.AppCallbackImplBase {
    @Override
    public void listTopicSubscriptions(
        Empty request, StreamObserver<ListTopicSubscriptionsResponse> answer) {
      answer.onNext(
          ListTopicSubscriptionsResponse.newBuilder()
              .addSubscriptions(subscription("orders", "/orders"))
              .addSubscriptions(subscription("retried", "/retried"))
              .addSubscriptions(subscription("failing", "/failing"))
              .addSubscriptions(subscription("dropped", "/dropped"))
              .addSubscriptions(
                  subscription("bulk", "/bulk").toBuilder()
                      .setBulkSubscribe(
                          BulkSubscribeConfig.newBuilder()
                              .setEnabled(true)
                              .setMaxMessagesCount(3)
                              .setMaxAwaitDurationMs(200)))
              // Invalid: no topic. Skipped with an ERROR line, the others start.
              .addSubscriptions(
                  TopicSubscription.newBuilder()
                      .setPubsubName("pubsub")
                      .setRoutes(TopicRoutes.newBuilder().setDefault("/x")))
              .build());
      answer.onCompleted();
    }

    @Override
    public void onTopicEvent(TopicEventRequest request, StreamObserver<TopicEventResponse> answer) {
      TopicEventResponseStatus status = TopicEventResponseStatus.SUCCESS;
      switch (request.getPath()) {
        case "/retried" -> {
          if (retriesLeft.getAndDecrement() > 0) {
            status = TopicEventResponseStatus.RETRY;
          }
        }
        case "/failing" -> {
          if (failuresLeft.getAndDecrement() > 0) {
            answer.onError(Status.INTERNAL.withDescription("boom").asRuntimeException());
            return;
          }
        }
        case "/dropped" -> {
          dropped.add(request.getData().toStringUtf8());
          status = TopicEventResponseStatus.DROP;
        }
        default -> {}
      }
      if (status == TopicEventResponseStatus.SUCCESS) {
        received(request.getPath()).add(request);
      }
      answer.onNext(TopicEventResponse.newBuilder().setStatus(status).build());
      answer.onCompleted();
    }

    @Override
    public void onInvoke(
        CommonProtos.InvokeRequest request, StreamObserver<CommonProtos.InvokeResponse> answer) {
      invocations.add(request);
      if (request.getMethod().equals("missing")) {
        answer.onError(Status.NOT_FOUND.withDescription("no such method").asRuntimeException());
        return;
      }
      answer.onNext(
          CommonProtos.InvokeResponse.newBuilder()
              .setContentType("text/plain")
              .setData(
                  Any.newBuilder()
                      .setValue(
                          ByteString.copyFromUtf8(
                              "echo "
                                  + request.getMethod()
                                  + " "
                                  + request.getHttpExtension().getVerb()
                                  + " "
                                  + request.getData().getValue().toStringUtf8())))
              .build());
      answer.onCompleted();
    }
  }

  private final class Alpha extends AppCallbackAlphaGrpc.AppCallbackAlphaImplBase {
    @Override
    public void onBulkTopicEventAlpha1(
        TopicEventBulkRequest request, StreamObserver<TopicEventBulkResponse> answer) {
      batches.add(request);
      TopicEventBulkResponse.Builder statuses = TopicEventBulkResponse.newBuilder();
      request
          .getEntriesList()
          .forEach(
              entry ->
                  statuses.addStatuses(
                      TopicEventBulkResponseEntry.newBuilder()
                          .setEntryId(entry.getEntryId())
                          .setStatus(TopicEventResponseStatus.SUCCESS)));
      answer.onNext(statuses.build());
      answer.onCompleted();
    }
  }

  private final class Health extends AppCallbackHealthCheckGrpc.AppCallbackHealthCheckImplBase {
    @Override
    public void healthCheck(Empty request, StreamObserver<HealthCheckResponse> answer) {
      if (!healthy.get()) {
        answer.onError(Status.UNAVAILABLE.withDescription("sick").asRuntimeException());
        return;
      }
      answer.onNext(HealthCheckResponse.getDefaultInstance());
      answer.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    channelLog.addHandler(capture);
    app =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                ServerInterceptors.intercept(
                    new Callback(),
                    new ServerInterceptor() {
                      @Override
                      public <Q, A> ServerCall.Listener<Q> interceptCall(
                          ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                        callHeaders.put(call.getMethodDescriptor().getBareMethodName(), headers);
                        return next.startCall(call, headers);
                      }
                    }))
            .addService(new Alpha())
            .addService(new Health())
            .build()
            .start();
    Files.writeString(resources.resolve("pubsub.yaml"), PUBSUB_YAML);
    Files.writeString(resources.resolve("audit.yaml"), DECLARED_YAML);
    Files.writeString(
        resources.resolve("config.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: grpc-app\n"
            + "spec:\n  nameResolution:\n    component: local\n    configuration:\n"
            + "      directory: "
            + resources.resolve("registry")
            + "\n");
    runtime =
        Pillion.builder()
            .appId("grpc-app")
            .resourcesPath(resources)
            .inProcessInvocation(false)
            .build();
    server =
        PillionServer.builder()
            .runtime(runtime)
            .closeRuntime(true)
            .httpPort(0)
            .grpcPort(0)
            .appPort(app.getPort())
            .appProtocol(AppProtocol.GRPC)
            .build()
            .start();
    client =
        new DaprClientBuilder()
            .withPropertyOverride(Properties.HTTP_ENDPOINT, "http://127.0.0.1:" + server.httpPort())
            .withPropertyOverride(Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort())
            .build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (runtime.activeSubscriptions().size() < 6 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(runtime.activeSubscriptions()).as("5 from the app, 1 declared").hasSize(6);
  }

  @AfterEach
  void stop() throws Exception {
    channelLog.removeHandler(capture);
    client.close();
    server.close();
    app.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private BlockingQueue<TopicEventRequest> received(String path) {
    return received.computeIfAbsent(path, p -> new LinkedBlockingQueue<>());
  }

  private TopicEventRequest next(String path) throws InterruptedException {
    TopicEventRequest event = received(path).poll(20, TimeUnit.SECONDS);
    if (event == null) {
      throw new AssertionError("no event delivered to " + path + " (others: " + received + ")");
    }
    return event;
  }

  @Test
  void publishedEventsArriveAsTopicEventRequests() throws Exception {
    client
        .publishEvent("pubsub", "orders", Map.of("id", 7), Map.of("traceid", "t1"))
        .block(Duration.ofSeconds(10));
    TopicEventRequest event = next("/orders");
    assertThat(event.getTopic()).isEqualTo("orders");
    assertThat(event.getPubsubName()).isEqualTo("pubsub");
    assertThat(event.getSpecVersion()).isEqualTo("1.0");
    assertThat(event.getId()).isNotEmpty();
    assertThat(event.getDataContentType()).isEqualTo("application/json");
    assertThat(event.getData().toStringUtf8()).isEqualTo("{\"id\":7}");
    Metadata headers = callHeaders.get("OnTopicEvent");
    assertThat(headers.get(Metadata.Key.of("pubsubname", Metadata.ASCII_STRING_MARSHALLER)))
        .isEqualTo("pubsub");
    assertThat(event.getExtensions().getFieldsMap())
        .as("attributes without a field of their own")
        .containsKey("time")
        .doesNotContainKeys("id", "data", "topic", "pubsubname", "specversion");
  }

  @Test
  void retryAndGrpcErrorsRedeliverAndDropDoesNot() throws Exception {
    client.publishEvent("pubsub", "retried", "r").block(Duration.ofSeconds(10));
    client.publishEvent("pubsub", "failing", "f").block(Duration.ofSeconds(10));
    client.publishEvent("pubsub", "dropped", "d").block(Duration.ofSeconds(10));
    assertThat(next("/retried").getData().toStringUtf8()).contains("r");
    assertThat(next("/failing").getData().toStringUtf8()).contains("f");
    assertThat(retriesLeft.get()).as("answered RETRY once, then SUCCESS").isEqualTo(-1);
    assertThat(failuresLeft.get()).as("failed once, then succeeded").isEqualTo(-1);
    // The dropped event is delivered on its own subscription, perhaps after the others.
    assertThat(dropped.poll(20, TimeUnit.SECONDS)).as("the dropped event").contains("d");
    // The topic is delivered in order (concurrency 1): an event waiting for redelivery would hold
    // up a marker published after it, so the marker coming next means the DROP settled the event.
    client.publishEvent("pubsub", "dropped", "marker").block(Duration.ofSeconds(10));
    assertThat(dropped.poll(20, TimeUnit.SECONDS))
        .as("a DROP is not redelivered: the marker comes next")
        .contains("marker");
  }

  @Test
  void declaredSubscriptionsDeliverOverTheGrpcChannel() throws Exception {
    client.publishEvent("pubsub", "audit", "entry").block(Duration.ofSeconds(10));
    assertThat(next("/audit").getTopic()).isEqualTo("audit");
  }

  @Test
  void bulkSubscriptionBatchesArriveOverOnBulkTopicEventAlpha1() throws Exception {
    for (int i = 0; i < 3; i++) {
      client.publishEvent("pubsub", "bulk", "b" + i).block(Duration.ofSeconds(10));
    }
    int entries = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (entries < 3 && System.nanoTime() < deadline) {
      TopicEventBulkRequest batch = batches.poll(100, TimeUnit.MILLISECONDS);
      if (batch != null) {
        assertThat(batch.getTopic()).isEqualTo("bulk");
        assertThat(batch.getPath()).isEqualTo("/bulk");
        assertThat(batch.getEntries(0).hasCloudEvent()).isTrue();
        entries += batch.getEntriesCount();
      }
    }
    assertThat(entries).isEqualTo(3);
    assertThat(received.values())
        .as("no single deliveries for a bulk subscription")
        .allMatch(BlockingQueue::isEmpty);
  }

  @Test
  void invocationsReachOnInvoke() throws Exception {
    HttpResponse<String> answer =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + server.httpPort()
                                + "/v1.0/invoke/grpc-app/method/hello?x=1"))
                    .POST(HttpRequest.BodyPublishers.ofString("world"))
                    .header("Content-Type", "text/plain")
                    .header("x-caller-header", "passed")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("echo hello POST world");
    CommonProtos.InvokeRequest request = invocations.poll(5, TimeUnit.SECONDS);
    assertThat(request.getHttpExtension().getQuerystring()).isEqualTo("x=1");
    assertThat(request.getContentType()).isEqualTo("text/plain");
    assertThat(
            callHeaders
                .get("OnInvoke")
                .get(Metadata.Key.of("x-caller-header", Metadata.ASCII_STRING_MARSHALLER)))
        .as("the caller's headers travel as gRPC headers")
        .isEqualTo("passed");

    byte[] viaSdk =
        client
            .invokeMethod(
                "grpc-app",
                "greet",
                "sdk".getBytes(StandardCharsets.UTF_8),
                HttpExtension.PUT,
                Map.of())
            .block(Duration.ofSeconds(10));
    assertThat(new String(viaSdk, StandardCharsets.UTF_8)).isEqualTo("echo greet PUT sdk");

    HttpResponse<String> missing =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + server.httpPort()
                                + "/v1.0/invoke/grpc-app/method/missing"))
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(missing.statusCode()).as("gRPC NOT_FOUND").isEqualTo(404);
  }

  @Test
  void healthProbeCallsHealthCheck() throws Exception {
    int port = app.getPort();
    try (GrpcAppChannel channel =
        GrpcAppChannel.create("grpc-app", "127.0.0.1", port, Duration.ofSeconds(5), 1 << 20)) {
      assertThat(channel.healthy(Duration.ofSeconds(5))).isTrue();
      healthy.set(false);
      assertThat(channel.healthy(Duration.ofSeconds(5))).isFalse();
    }
    app.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    try (GrpcAppChannel channel =
        GrpcAppChannel.create("grpc-app", "127.0.0.1", port, Duration.ofSeconds(5), 1 << 20)) {
      assertThat(channel.healthy(Duration.ofMillis(500))).as("app gone").isFalse();
    }
  }

  @Test
  void theHealthCheckProbesAGrpcAppThroughAppCallbackHealthCheck() throws Exception {
    // A second runtime in front of the same app, with the health check on: its probe is the
    // gRPC HealthCheck, so an app answering it with an error makes invocations fail fast.
    try (Pillion checked = Pillion.builder().appId("grpc-app-checked").build();
        PillionServer checking =
            PillionServer.builder()
                .runtime(checked)
                .httpPort(0)
                .grpcPort(0)
                .appPort(app.getPort())
                .appProtocol(AppProtocol.GRPC)
                .appHealthCheck(true)
                .appHealthProbeInterval(Duration.ofMillis(100))
                .appHealthThreshold(1)
                .build()
                .start()) {
      HttpRequest hello =
          HttpRequest.newBuilder(
                  URI.create(
                      "http://127.0.0.1:"
                          + checking.httpPort()
                          + "/v1.0/invoke/grpc-app-checked/method/hello"))
              .POST(HttpRequest.BodyPublishers.ofString("world"))
              .build();
      HttpClient http = HttpClient.newHttpClient();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int status = 0;
      while (System.nanoTime() < deadline
          && (status = http.send(hello, HttpResponse.BodyHandlers.ofString()).statusCode())
              != 200) {
        Thread.sleep(50);
      }
      assertThat(status).as("healthy once the first probe passed").isEqualTo(200);
      healthy.set(false);
      HttpResponse<String> refused = null;
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        refused = http.send(hello, HttpResponse.BodyHandlers.ofString());
        if (refused.statusCode() != 200) {
          break;
        }
        Thread.sleep(50);
      }
      assertThat(refused.statusCode()).isEqualTo(500);
      assertThat(refused.body()).contains("ERR_DIRECT_INVOKE").contains("not in a healthy state");
    } finally {
      healthy.set(true);
    }
  }

  @Test
  void anInvalidSubscriptionEntryIsOneErrorLineNamingIt() {
    List<String> errors =
        logged.stream()
            .filter(record -> record.getLevel() == Level.SEVERE)
            .map(LogRecord::getMessage)
            .toList();
    assertThat(errors)
        .containsExactly(
            "ListTopicSubscriptions[5] (pubsub 'pubsub'): topic is required; this subscription is skipped");
  }

  @Test
  void eachInvalidListedSubscriptionIsSkippedWithAnErrorNamingItsField() {
    logged.clear();
    ListTopicSubscriptionsResponse answer =
        ListTopicSubscriptionsResponse.newBuilder()
            .addSubscriptions(subscription("ok", "/ok"))
            .addSubscriptions(subscription("noroute", ""))
            .addSubscriptions(
                subscription("badrule", "/d").toBuilder()
                    .setRoutes(
                        TopicRoutes.newBuilder()
                            .setDefault("/d")
                            .addRules(
                                TopicRule.newBuilder().setMatch("event.type ==").setPath("/r"))))
            .addSubscriptions(
                subscription("badbulk", "/b").toBuilder()
                    .setBulkSubscribe(
                        BulkSubscribeConfig.newBuilder().setEnabled(true).setMaxMessagesCount(-1)))
            .build();

    assertThat(GrpcAppChannel.parse(answer))
        .extracting(definition -> definition.topic())
        .containsExactly("ok");
    List<String> errors =
        logged.stream()
            .filter(record -> record.getLevel() == Level.SEVERE)
            .map(LogRecord::getMessage)
            .toList();
    assertThat(errors).hasSize(3);
    assertThat(errors.get(0))
        .startsWith("ListTopicSubscriptions[1] (pubsub 'pubsub', topic 'noroute'): routes.default");
    assertThat(errors.get(1)).contains("ListTopicSubscriptions[2]").doesNotContain("\n");
    assertThat(errors.get(2))
        .startsWith("ListTopicSubscriptions[3] (pubsub 'pubsub', topic 'badbulk'): bulk_subscribe");
  }
}
