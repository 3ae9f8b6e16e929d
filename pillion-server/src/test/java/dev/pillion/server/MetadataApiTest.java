package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pillion.Pillion;
import dev.pillion.abi.state.DeleteRequest;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.pubsub.AppChannel;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Routes;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.pubsub.SubscriptionSource;
import dev.pillion.state.StateFeature;
import dev.pillion.state.memory.JavaInMemoryStateComponent;
import dev.pillion.state.spi.StateComponent;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.domain.ComponentMetadata;
import io.dapr.config.Properties;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprMetadataProtos;
import io.dapr.v1.DaprPubsubProtos;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata API as daprd serves it, over HTTP and gRPC: extended attributes set with {@code PUT
 * /v1.0/metadata/{key}} or {@code SetMetadata} and listed by both protocols (with {@code
 * daprRuntimeVersion}), daprd's {@code ACTOR} capability, and subscription types as enum names.
 */
class MetadataApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @TempDir Path resources;
  private Pillion runtime;
  private PillionServer server;
  private ManagedChannel channel;
  private DaprGrpc.DaprBlockingStub grpc;

  /** A store with etags but no transactions: not one Dapr's actors could use. */
  private static final class EtagOnlyStore implements StateComponent {
    private final JavaInMemoryStateComponent delegate = JavaInMemoryStateComponent.create("etags");

    @Override
    public String name() {
      return "etags";
    }

    @Override
    public Set<String> features() {
      return Set.of(StateFeature.ETAG);
    }

    @Override
    public GetResponse get(GetRequest request) {
      return delegate.get(request);
    }

    @Override
    public void set(SetRequest request) {
      delegate.set(request);
    }

    @Override
    public void delete(DeleteRequest request) {
      delegate.delete(request);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  @BeforeEach
  void start() throws Exception {
    Files.writeString(
        resources.resolve("components.yaml"),
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: statestore
        spec:
          type: state.in-memory
          version: v1
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: pubsub
        spec:
          type: pubsub.in-memory
          version: v1
        ---
        apiVersion: dapr.io/v2alpha1
        kind: Subscription
        metadata:
          name: audit
        spec:
          pubsubname: pubsub
          topic: audit
          routes:
            default: /audit
          deadLetterTopic: audit-dead
        """);
    runtime =
        Pillion.builder()
            .appId("metadata-app")
            .resourcesPath(resources)
            .stateStore("etags", new EtagOnlyStore())
            .build();
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
    grpc = DaprGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    runtime.close();
  }

  private HttpResponse<String> send(String method, String path, byte[] body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode httpMetadata() throws Exception {
    HttpResponse<String> response = send("GET", "/v1.0/metadata", null);
    assertThat(response.statusCode()).isEqualTo(200);
    return JSON.readTree(response.body());
  }

  private DaprMetadataProtos.GetMetadataResponse grpcMetadata() {
    return grpc.getMetadata(DaprMetadataProtos.GetMetadataRequest.getDefaultInstance());
  }

  private DaprClient sdkClient() {
    return new DaprClientBuilder()
        .withPropertyOverride(Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort())
        .build();
  }

  @Test
  void extendedMetadataSetOverEitherProtocolIsListedByBoth() throws Exception {
    assertThat(httpMetadata().path("extended").path("daprRuntimeVersion").asText())
        .isEqualTo(PillionServer.RUNTIME_VERSION);
    assertThat(grpcMetadata().getExtendedMetadataMap())
        .isEqualTo(Map.of("daprRuntimeVersion", PillionServer.RUNTIME_VERSION));

    HttpResponse<String> put =
        send("PUT", "/v1.0/metadata/appCommand", "node app.js --port 3000".getBytes());
    assertThat(put.statusCode()).isEqualTo(204);
    assertThat(put.body()).isEmpty();
    grpc.setMetadata(
        DaprMetadataProtos.SetMetadataRequest.newBuilder()
            .setKey("owner")
            .setValue("team-ä")
            .build());
    // An empty key is ignored, as daprd does.
    grpc.setMetadata(
        DaprMetadataProtos.SetMetadataRequest.newBuilder().setKey("").setValue("x").build());
    // A key set again is replaced; a key with an encoded slash is one key.
    send("PUT", "/v1.0/metadata/owner", "team-b".getBytes());
    send("PUT", "/v1.0/metadata/a%2Fb", new byte[0]);

    Map<String, String> expected =
        Map.of(
            "appCommand", "node app.js --port 3000",
            "owner", "team-b",
            "a/b", "",
            "daprRuntimeVersion", PillionServer.RUNTIME_VERSION);
    JsonNode extended = httpMetadata().path("extended");
    assertThat(
            StreamSupport.stream(
                    java.util.Spliterators.spliteratorUnknownSize(extended.fields(), 0), false)
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().asText())))
        .isEqualTo(expected);
    assertThat(grpcMetadata().getExtendedMetadataMap()).isEqualTo(expected);
    try (DaprClient client = sdkClient()) {
      assertThat(client.getMetadata().block().getAttributes()).isEqualTo(expected);
    }

    // The embedding application (pillion run) sets attributes through the server.
    server.setMetadata("cliPID", "4242");
    assertThat(grpcMetadata().getExtendedMetadataMap()).containsEntry("cliPID", "4242");
  }

  @Test
  void extendedMetadataIsBoundedAndTextOnly() throws Exception {
    String half = "x".repeat(MetadataGateway.MAX_EXTENDED_CHARS / 2);
    assertThat(send("PUT", "/v1.0/metadata/first", half.getBytes()).statusCode()).isEqualTo(204);
    HttpResponse<String> refused = send("PUT", "/v1.0/metadata/second", half.getBytes());
    assertThat(refused.statusCode()).isEqualTo(413);
    assertThat(JSON.readTree(refused.body()).path("message").asText())
        .contains("'second'", "limit of " + MetadataGateway.MAX_EXTENDED_CHARS);
    assertThatThrownBy(
            () ->
                grpc.setMetadata(
                    DaprMetadataProtos.SetMetadataRequest.newBuilder()
                        .setKey("second")
                        .setValue(half)
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    // Replacing a value counts the new one only.
    assertThat(send("PUT", "/v1.0/metadata/first", half.getBytes()).statusCode()).isEqualTo(204);
    assertThat(grpcMetadata().getExtendedMetadataMap()).doesNotContainKey("second");

    HttpResponse<String> binary =
        send("PUT", "/v1.0/metadata/blob", new byte[] {(byte) 0xff, (byte) 0xfe});
    assertThat(binary.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(binary.body()).path("message").asText())
        .contains("'blob'", "not UTF-8");
    // Only PUT sets; other methods on the route are not Dapr routes.
    assertThat(send("POST", "/v1.0/metadata/blob", "x".getBytes()).statusCode()).isEqualTo(404);
  }

  @Test
  void aStoreWithEtagsAndTransactionsIsActorCapable() throws Exception {
    Function<JsonNode, Map<String, String>> capabilitiesByName =
        components ->
            StreamSupport.stream(components.spliterator(), false)
                .collect(
                    Collectors.toMap(
                        c -> c.path("name").asText(), c -> c.path("capabilities").toString()));
    Map<String, String> overHttp = capabilitiesByName.apply(httpMetadata().path("components"));
    assertThat(overHttp.get("statestore")).contains("\"ETAG\"", "\"TRANSACTIONAL\"", "\"ACTOR\"");
    assertThat(overHttp.get("etags")).contains("\"ETAG\"").doesNotContain("ACTOR");
    assertThat(overHttp.get("pubsub")).doesNotContain("ACTOR");

    Map<String, List<String>> overGrpc =
        grpcMetadata().getRegisteredComponentsList().stream()
            .collect(
                Collectors.toMap(
                    DaprMetadataProtos.RegisteredComponents::getName,
                    DaprMetadataProtos.RegisteredComponents::getCapabilitiesList));
    assertThat(overGrpc.get("statestore")).contains("ETAG", "TRANSACTIONAL", "ACTOR");
    assertThat(overGrpc.get("etags")).containsExactly("ETAG");
    try (DaprClient client = sdkClient()) {
      assertThat(client.getMetadata().block().getComponents())
          .filteredOn(c -> c.getName().equals("statestore"))
          .singleElement()
          .extracting(ComponentMetadata::getCapabilities)
          .satisfies(capabilities -> assertThat(capabilities).contains("ACTOR"));
    }
  }

  @Test
  void subscriptionTypesAreDaprdsEnumNames() throws Exception {
    List<Subscription> declared =
        runtime.startSubscriptions(
            AppChannel.of(Map.of("/audit", event -> DeliveryResult.SUCCESS)), List.of());
    BlockingQueue<Object> streamed = new LinkedBlockingQueue<>();
    StreamObserver<DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1> stream =
        DaprGrpc.newStub(channel)
            .subscribeTopicEventsAlpha1(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1 value) {
                    streamed.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    streamed.add(t);
                  }

                  @Override
                  public void onCompleted() {
                    streamed.add("completed");
                  }
                });
    stream.onNext(
        DaprPubsubProtos.SubscribeTopicEventsRequestAlpha1.newBuilder()
            .setInitialRequest(
                DaprPubsubProtos.SubscribeTopicEventsRequestInitialAlpha1.newBuilder()
                    .setPubsubName("pubsub")
                    .setTopic("live"))
            .build());
    try {
      assertThat(streamed.poll(10, TimeUnit.SECONDS))
          .isInstanceOfSatisfying(
              DaprPubsubProtos.SubscribeTopicEventsResponseAlpha1.class,
              response -> assertThat(response.hasInitialResponse()).isTrue());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (grpcMetadata().getSubscriptionsCount() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      Map<String, DaprMetadataProtos.PubsubSubscription> overGrpc =
          grpcMetadata().getSubscriptionsList().stream()
              .collect(
                  Collectors.toMap(
                      DaprMetadataProtos.PubsubSubscription::getTopic, Function.identity()));
      assertThat(overGrpc.get("audit").getType())
          .isEqualTo(DaprMetadataProtos.PubsubSubscriptionType.DECLARATIVE);
      assertThat(overGrpc.get("audit").getDeadLetterTopic()).isEqualTo("audit-dead");
      assertThat(overGrpc.get("live").getType())
          .isEqualTo(DaprMetadataProtos.PubsubSubscriptionType.STREAMING);

      Map<String, JsonNode> overHttp =
          StreamSupport.stream(httpMetadata().path("subscriptions").spliterator(), false)
              .collect(Collectors.toMap(s -> s.path("topic").asText(), Function.identity()));
      assertThat(overHttp.get("audit").path("type").asText()).isEqualTo("DECLARATIVE");
      assertThat(overHttp.get("live").path("type").asText()).isEqualTo("STREAMING");
      assertThat(overHttp.get("live").path("pubsubname").asText()).isEqualTo("pubsub");
      // daprd always sends deadLetterTopic, empty when there is none.
      assertThat(overHttp.get("live").has("deadLetterTopic")).isTrue();
      assertThat(overHttp.get("live").path("deadLetterTopic").asText()).isEmpty();
    } finally {
      declared.forEach(Subscription::close);
      stream.onCompleted();
    }
    assertThat(streamed.poll(10, TimeUnit.SECONDS)).isEqualTo("completed");
    // An ended stream is no longer listed.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (grpcMetadata().getSubscriptionsCount() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(grpcMetadata().getSubscriptionsList()).isEmpty();
  }

  @Test
  void theTypeIsTheSubscriptionsSourceNotItsName() throws Exception {
    // An app's subscription named without "app:" and a resource-like one named with it: the name
    // used to decide the type, so each was reported as the other.
    SubscriptionDefinition fromApp =
        SubscriptionDefinition.builder(
                SubscriptionSource.PROGRAMMATIC, "orders-from-app", "pubsub", "orders")
            .routes(Routes.single("/orders"))
            .origin("/dapr/subscribe[0]")
            .build();
    SubscriptionDefinition declared =
        SubscriptionDefinition.builder(
                SubscriptionSource.DECLARATIVE, "app:lookalike", "pubsub", "lookalike")
            .routes(Routes.single("/lookalike"))
            .origin("subscriptions.yaml")
            .build();
    List<Subscription> running =
        runtime.startSubscriptions(
            (route, event) -> DeliveryResult.SUCCESS, List.of(fromApp, declared));
    try {
      Map<String, DaprMetadataProtos.PubsubSubscription> overGrpc =
          grpcMetadata().getSubscriptionsList().stream()
              .collect(
                  Collectors.toMap(
                      DaprMetadataProtos.PubsubSubscription::getTopic, Function.identity()));
      assertThat(overGrpc.get("orders").getType())
          .isEqualTo(DaprMetadataProtos.PubsubSubscriptionType.PROGRAMMATIC);
      assertThat(overGrpc.get("lookalike").getType())
          .isEqualTo(DaprMetadataProtos.PubsubSubscriptionType.DECLARATIVE);
      Map<String, JsonNode> overHttp =
          StreamSupport.stream(httpMetadata().path("subscriptions").spliterator(), false)
              .collect(Collectors.toMap(s -> s.path("topic").asText(), Function.identity()));
      assertThat(overHttp.get("orders").path("type").asText()).isEqualTo("PROGRAMMATIC");
      assertThat(overHttp.get("lookalike").path("type").asText()).isEqualTo("DECLARATIVE");
    } finally {
      running.forEach(Subscription::close);
    }
  }
}
