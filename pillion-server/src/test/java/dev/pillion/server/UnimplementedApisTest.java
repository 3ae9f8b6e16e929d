package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.rpc.ErrorInfo;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.Subscription;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.server.api.unimplemented.UnimplementedApis;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprStateProtos;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every route and gRPC method daprd has and Pillion lacks answers 501 / UNIMPLEMENTED naming the
 * API, the same message on both protocols; a path no Dapr API has stays a 404; PUT works as POST on
 * the publish routes.
 */
class UnimplementedApisTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Pillion runtime;
  private PillionServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("unimplemented")
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    runtime.close();
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.httpPort() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void daprdRoutesPillionLacksAre501NamingTheApi() throws Exception {
    String[][] cases = {
      {"POST", "/v1.0-alpha1/state/statestore/query", "the state query API (alpha1)"},
      {"PUT", "/v1.0-alpha1/state/statestore/query", "the state query API (alpha1)"},
      {"POST", "/v1.0-beta1/workflows/dapr/orderWorkflow/start", "the workflow API (beta1)"},
      {"GET", "/v1.0-alpha1/workflows/dapr/instance-1", "the workflow API (alpha1)"},
      {"POST", "/v1.0/workflows/dapr/instance-1/raiseEvent/approved", "the workflow API"},
      {"POST", "/v1.0-beta1/workflows/dapr/instance-1/purge", "the workflow API (beta1)"},
      {"POST", "/v1.0-alpha2/conversation/llm/converse", "the conversation API (alpha2)"},
      {"POST", "/v1.0-alpha1/conversation/llm/converse", "the conversation API (alpha1)"},
      {"POST", "/v1.0-alpha1/subtlecrypto/vault/sign", "the subtle crypto API (alpha1)"},
      {"PUT", "/v1.0-alpha1/crypto/vault/encrypt", "the cryptography API (alpha1)"},
      {"POST", "/v1.0-alpha1/jobs/nightly", "the jobs API (alpha1)"},
      {"DELETE", "/v1.0/jobs/nightly", "the jobs API"},
      {"PUT", "/v1.0/actors/Cart/c1/method/add", "the actors API"},
      {"GET", "/v1.0/actors/Cart/c1/reminders/r", "the actors API"},
      {"POST", "/v1.0/bindings/cron", "the bindings API"},
      {"GET", "/v1.0/configuration/config", "the configuration API"},
      {
        "GET",
        "/v1.0-alpha1/configuration/config/sub-1/unsubscribe",
        "the configuration API (alpha1)"
      },
      {"POST", "/v1.0-alpha1/lock/redis", "the distributed lock API (alpha1)"},
      {"POST", "/v1.0-alpha1/unlock/redis", "the distributed lock API (alpha1)"},
    };
    for (String[] c : cases) {
      HttpResponse<String> response = send(c[0], c[1], c[0].equals("GET") ? null : "{}");
      assertThat(response.statusCode()).as(c[0] + " " + c[1]).isEqualTo(501);
      JsonNode body = JSON.readTree(response.body());
      assertThat(body.path("errorCode").asText()).isEqualTo("ERR_NOT_IMPLEMENTED");
      assertThat(body.path("message").asText())
          .as(c[1])
          .isEqualTo(c[2] + " is not implemented by Pillion");
    }
  }

  @Test
  void pathsNoDaprApiHasAre404() throws Exception {
    String[][] cases = {
      {"GET", "/v1.0/nothing-here"},
      {"GET", "/v1.0/subscribe"},
      {"GET", "/v2.0/state/statestore/k"},
      // daprd serves state, metadata and single publishes under v1.0 only.
      {"GET", "/v1.0-alpha1/state/statestore/k"},
      {"GET", "/v1.0-alpha1/metadata"},
      {"POST", "/v1.0-alpha1/publish/pubsub/orders"},
      // A Dapr route with a method it does not take.
      {"GET", "/v1.0/bindings/cron"},
      {"POST", "/v1.0/secrets/vault/password"},
      {"PUT", "/v1.0-alpha2/conversation/llm/converse"},
      // One segment too many or too few.
      {"POST", "/v1.0-alpha1/subtlecrypto/vault/sign/extra"},
      {"POST", "/v1.0-alpha1/lock"},
      {"GET", "/v1.0/invoke"},
    };
    for (String[] c : cases) {
      HttpResponse<String> response = send(c[0], c[1], c[0].equals("GET") ? null : "{}");
      assertThat(response.statusCode()).as(c[0] + " " + c[1]).isEqualTo(404);
      assertThat(JSON.readTree(response.body()).path("errorCode").asText())
          .isEqualTo("ERR_NOT_FOUND");
    }
  }

  @Test
  void aRequestAddressedToAnotherAppIsServiceInvocation() throws Exception {
    // An app id no runtime registers: the header form reaches invocation, which cannot find it.
    HttpResponse<String> byHeader =
        send("GET", "/orders/7", null, "dapr-app-id", "unimplemented-test-no-app");
    assertThat(byHeader.statusCode()).isEqualTo(500);
    assertThat(JSON.readTree(byHeader.body()).path("errorCode").asText())
        .isEqualTo("ERR_DIRECT_INVOKE");
    assertThat(JSON.readTree(byHeader.body()).path("message").asText())
        .startsWith("failed to invoke, id: unimplemented-test-no-app, err: ");
    String basic =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(
                    "dapr-app-id:unimplemented-test-no-app".getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> byBasic = send("POST", "/orders", "{}", "Authorization", basic);
    assertThat(JSON.readTree(byBasic.body()).path("errorCode").asText())
        .isEqualTo("ERR_DIRECT_INVOKE");
    String otherUser =
        "Basic "
            + Base64.getEncoder().encodeToString("alice:secret".getBytes(StandardCharsets.UTF_8));
    assertThat(send("POST", "/orders", "{}", "Authorization", otherUser).statusCode())
        .isEqualTo(404);
    // Pillion's own routes are served whatever the headers say.
    assertThat(send("GET", "/v1.0/healthz", null, "dapr-app-id", "orders").statusCode())
        .isEqualTo(204);
  }

  @Test
  void putWorksAsPostOnThePublishRoutes() throws Exception {
    BlockingQueue<Event> received = new LinkedBlockingQueue<>();
    try (Subscription subscription =
        runtime
            .pubsub("pubsub")
            .subscribe(
                SubscriptionOptions.builder("orders").build(),
                event -> {
                  received.add(event);
                  return DeliveryResult.SUCCESS;
                })) {
      assertThat(
              send(
                      "PUT",
                      "/v1.0/publish/pubsub/orders",
                      "{\"id\":1}",
                      "Content-Type",
                      "application/json")
                  .statusCode())
          .isEqualTo(204);
      String bulk =
          "[{\"entryId\":\"1\",\"event\":{\"id\":2},\"contentType\":\"application/json\"}]";
      assertThat(send("PUT", "/v1.0-alpha1/publish/bulk/pubsub/orders", bulk).statusCode())
          .isEqualTo(200);
      assertThat(send("PUT", "/v1.0/publish/bulk/pubsub/orders", bulk).statusCode()).isEqualTo(200);
      for (int i = 0; i < 3; i++) {
        assertThat(received.poll(10, TimeUnit.SECONDS)).as("event " + i).isNotNull();
      }
      assertThat(subscription.subscriptionName()).isEqualTo("unimplemented");
    }
  }

  private static void assertUnimplemented(StatusRuntimeException e, String api) {
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    assertThat(e.getStatus().getDescription()).isEqualTo(api + " is not implemented by Pillion");
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).isNotNull();
    assertThat(status.getDetailsList())
        .anySatisfy(
            detail -> {
              try {
                assertThat(detail.unpack(ErrorInfo.class).getReason())
                    .isEqualTo("ERR_NOT_IMPLEMENTED");
              } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new AssertionError(ex);
              }
            });
  }

  @Test
  void grpcMethodsPillionLacksAreUnimplementedWithTheHttpMessage() {
    DaprGrpc.DaprBlockingStub stub = DaprGrpc.newBlockingStub(channel);
    assertThatThrownBy(
            () ->
                stub.queryStateAlpha1(
                    DaprStateProtos.QueryStateRequest.newBuilder()
                        .setStoreName("statestore")
                        .setQuery("{}")
                        .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertUnimplemented(e, "the state query API (alpha1)"));
    // A server-streaming method fails at once too.
    assertThatThrownBy(
            () ->
                stub.subscribeConfiguration(
                        io.dapr.v1.DaprConfigurationProtos.SubscribeConfigurationRequest
                            .getDefaultInstance())
                    .hasNext())
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertUnimplemented(e, "the configuration API"));
  }

  /** A byte-level call, for daprd methods the SDK's generated stubs do not have. */
  private byte[] callRaw(String method) {
    MethodDescriptor.Marshaller<byte[]> bytes =
        new MethodDescriptor.Marshaller<>() {
          @Override
          public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
          }

          @Override
          public byte[] parse(InputStream stream) {
            try {
              return stream.readAllBytes();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
        };
    MethodDescriptor<byte[], byte[]> descriptor =
        MethodDescriptor.newBuilder(bytes, bytes)
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("dapr.proto.runtime.v1.Dapr/" + method)
            .build();
    return ClientCalls.blockingUnaryCall(channel, descriptor, CallOptions.DEFAULT, new byte[0]);
  }

  @Test
  void daprdMethodsNewerThanTheSdkAreUnimplementedNamingTheApi() {
    assertThatThrownBy(() -> callRaw("ScheduleJob"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertUnimplemented(e, "the jobs API"));
    assertThatThrownBy(() -> callRaw("SubscribeActorEventsAlpha1"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class, e -> assertUnimplemented(e, "the actors API (alpha1)"));
    // A method no Dapr version has keeps gRPC's own answer.
    assertThatThrownBy(() -> callRaw("NoSuchMethod"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
              assertThat(e.getStatus().getDescription()).contains("Method not found");
            });
  }

  @Test
  void everyMethodOfTheServiceIsImplementedOrNamesItsApi() {
    DaprApi api = DaprApi.builder().runtime(runtime).build();
    List<String> generic = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : api.grpcService().getMethods()) {
      String name = method.getMethodDescriptor().getBareMethodName();
      if (UnimplementedApis.grpc(name).message().startsWith("the Dapr API method")) {
        generic.add(name);
      }
    }
    // Only the methods Pillion implements fall outside the table.
    assertThat(generic)
        .containsExactlyInAnyOrder(
            "GetState",
            "GetBulkState",
            "SaveState",
            "DeleteState",
            "DeleteBulkState",
            "ExecuteStateTransaction",
            "GetMetadata",
            "SetMetadata",
            "PublishEvent",
            "BulkPublishEvent",
            "BulkPublishEventAlpha1",
            "SubscribeTopicEventsAlpha1",
            "GetSecret",
            "GetBulkSecret",
            "InvokeService",
            "Shutdown");
    // Those are exactly the methods the building blocks' modules register.
    List<String> implemented = new ArrayList<>();
    api.grpcMethodOwners()
        .forEach(
            (method, module) -> {
              if (!module.equals("unimplemented")) {
                implemented.add(method);
              }
            });
    assertThat(implemented).containsExactlyInAnyOrderElementsOf(generic);
  }
}
