package dev.pillion.server.apps;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.ErrorInfo;
import com.google.rpc.Status;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.server.PillionServer;
import dev.pillion.testing.TestGuests;
import io.dapr.v1.CommonProtos;
import io.dapr.v1.DaprInvokeProtos.InvokeServiceRequest;
import io.dapr.v1.DaprMetadataProtos.GetMetadataRequest;
import io.dapr.v1.DaprMetadataProtos.GetMetadataResponse;
import io.dapr.v1.DaprPubsubProtos.BulkPublishRequest;
import io.dapr.v1.DaprPubsubProtos.BulkPublishRequestEntry;
import io.dapr.v1.DaprPubsubProtos.PublishEventRequest;
import io.dapr.v1.DaprSecretProtos.GetBulkSecretRequest;
import io.dapr.v1.DaprSecretProtos.GetSecretRequest;
import io.dapr.v1.DaprStateProtos.DeleteBulkStateRequest;
import io.dapr.v1.DaprStateProtos.DeleteStateRequest;
import io.dapr.v1.DaprStateProtos.ExecuteStateTransactionRequest;
import io.dapr.v1.DaprStateProtos.GetBulkStateRequest;
import io.dapr.v1.DaprStateProtos.GetStateRequest;
import io.dapr.v1.DaprStateProtos.GetStateResponse;
import io.dapr.v1.DaprStateProtos.SaveStateRequest;
import io.dapr.v1.DaprStateProtos.TransactionalStateOperation;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract of the Dapr imports: the test app ({@code components/app-contract}) passes each
 * request to an import unchanged, and its answer must equal what Dapr's gRPC API, served for the
 * same app over the network, answers to the same request: the same response, or the same status
 * code, message and ErrorInfo.
 */
class WasmAppContractTest {
  private static final String APP = "contract";
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
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

  private static Pillion runtime;
  private static WasmAppHost host;
  private static PillionServer server;
  private static ManagedChannel channel;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    runtime =
        Pillion.builder()
            .appId("host")
            .hostedApps(List.of(APP))
            .environment(Map.of("DB_PASSWORD", "s3cret"))
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .component(ComponentDefinition.builder("secrets", "secretstores.local.env").build())
            .component(
                ComponentDefinition.builder("billing-store", "state.in-memory")
                    .scopes(List.of("billing"))
                    .build())
            .build();
    host =
        WasmAppHost.start(
            runtime,
            List.of(AppManifest.builder(APP, TestGuests.path("app-contract")).httpPort(0).build()),
            "127.0.0.1");
    server =
        PillionServer.builder()
            .runtime(host.app(APP).orElseThrow().runtime())
            .httpPort(0)
            .grpcPort(0)
            .build()
            .start();
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    host.close();
    runtime.close();
  }

  /** What one path answered: the response bytes, or the error's status. */
  private record Answer(byte[] response, Status error) {
    boolean failed() {
      return error != null;
    }
  }

  private static Answer throughTheApp(String importName, Message request) throws Exception {
    HttpResponse<byte[]> response =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + host.httpPort(APP).orElseThrow()
                            + "/call/"
                            + importName))
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.toByteArray()))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() == 299) {
      assertThat(response.headers().firstValue("x-dapr-error")).contains("1");
      return new Answer(null, Status.parseFrom(response.body()));
    }
    assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(200);
    return new Answer(response.body(), null);
  }

  private static Answer throughGrpc(String method, Message request) {
    MethodDescriptor<byte[], byte[]> descriptor =
        MethodDescriptor.newBuilder(BYTES, BYTES)
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(
                MethodDescriptor.generateFullMethodName("dapr.proto.runtime.v1.Dapr", method))
            .build();
    try {
      return new Answer(
          ClientCalls.blockingUnaryCall(
              channel,
              descriptor,
              CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
              request.toByteArray()),
          null);
    } catch (StatusRuntimeException e) {
      Status status = StatusProto.fromThrowable(e);
      return new Answer(
          null,
          status != null
              ? status
              : Status.newBuilder()
                  .setCode(e.getStatus().getCode().value())
                  .setMessage(String.valueOf(e.getStatus().getDescription()))
                  .build());
    }
  }

  /** Sends the request both ways and checks both answered the same. */
  private static Answer same(String importName, String method, Message request) throws Exception {
    Answer app = throughTheApp(importName, request);
    Answer grpc = throughGrpc(method, request);
    assertThat(app.failed())
        .as(importName + " failed through one path only")
        .isEqualTo(grpc.failed());
    if (grpc.failed()) {
      assertThat(app.error().getCode()).as(importName + " code").isEqualTo(grpc.error().getCode());
      assertThat(app.error().getMessage()).isEqualTo(grpc.error().getMessage());
      assertThat(reasons(app.error())).isEqualTo(reasons(grpc.error()));
    } else {
      assertThat(app.response()).as(importName + " response").isEqualTo(grpc.response());
    }
    return app;
  }

  private static List<String> reasons(Status status) {
    return status.getDetailsList().stream()
        .filter(any -> any.is(ErrorInfo.class))
        .map(
            any -> {
              try {
                return any.unpack(ErrorInfo.class).getReason();
              } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
              }
            })
        .toList();
  }

  private static CommonProtos.StateItem item(String key, String value) {
    return CommonProtos.StateItem.newBuilder()
        .setKey(key)
        .setValue(ByteString.copyFromUtf8(value))
        .build();
  }

  @Test
  void stateImportsAnswerAsTheGrpcApi() throws Exception {
    GetStateRequest getK =
        GetStateRequest.newBuilder().setStoreName("statestore").setKey("k").build();
    same("get_state", "GetState", getK);

    Answer saved =
        throughTheApp(
            "save_state",
            SaveStateRequest.newBuilder()
                .setStoreName("statestore")
                .addStates(item("k", "v1"))
                .build());
    assertThat(saved.failed()).isFalse();
    Answer read = same("get_state", "GetState", getK);
    GetStateResponse state = GetStateResponse.parseFrom(read.response());
    assertThat(state.getData().toStringUtf8()).isEqualTo("v1");

    // An etag mismatch: the same error both ways.
    SaveStateRequest stale =
        SaveStateRequest.newBuilder()
            .setStoreName("statestore")
            .addStates(
                item("k", "v2").toBuilder()
                    .setEtag(CommonProtos.Etag.newBuilder().setValue("999"))
                    .build())
            .build();
    Answer mismatch = same("save_state", "SaveState", stale);
    assertThat(mismatch.failed()).isTrue();
    assertThat(getK).isNotNull();

    same(
        "get_bulk_state",
        "GetBulkState",
        GetBulkStateRequest.newBuilder()
            .setStoreName("statestore")
            .addKeys("k")
            .addKeys("none")
            .build());
    same(
        "execute_state_transaction",
        "ExecuteStateTransaction",
        ExecuteStateTransactionRequest.newBuilder()
            .setStoreName("statestore")
            .addOperations(
                TransactionalStateOperation.newBuilder()
                    .setOperationType("upsert")
                    .setRequest(
                        item("t", "x").toBuilder()
                            .setEtag(CommonProtos.Etag.newBuilder().setValue("12345"))))
            .build());
    same(
        "delete_state",
        "DeleteState",
        DeleteStateRequest.newBuilder()
            .setStoreName("statestore")
            .setKey("k")
            .setEtag(CommonProtos.Etag.newBuilder().setValue("999"))
            .build());
    same(
        "delete_bulk_state",
        "DeleteBulkState",
        DeleteBulkStateRequest.newBuilder()
            .setStoreName("statestore")
            .addStates(item("gone", ""))
            .build());
  }

  @Test
  void aMissingStoreAndAStoreOutOfScopeAreTheSameError() throws Exception {
    Answer missing =
        same(
            "get_state",
            "GetState",
            GetStateRequest.newBuilder().setStoreName("nostore").setKey("k").build());
    assertThat(missing.failed()).isTrue();
    Answer outOfScope =
        same(
            "get_state",
            "GetState",
            GetStateRequest.newBuilder().setStoreName("billing-store").setKey("k").build());
    assertThat(outOfScope.failed()).as("billing-store is scoped to app billing").isTrue();
    assertThat(reasons(outOfScope.error())).isEqualTo(reasons(missing.error()));
  }

  @Test
  void pubsubSecretsAndMetadataImportsAnswerAsTheGrpcApi() throws Exception {
    same(
        "publish_event",
        "PublishEvent",
        PublishEventRequest.newBuilder()
            .setPubsubName("pubsub")
            .setTopic("audit")
            .setData(ByteString.copyFromUtf8("{}"))
            .setDataContentType("application/json")
            .build());
    same(
        "publish_event",
        "PublishEvent",
        PublishEventRequest.newBuilder().setPubsubName("nopubsub").setTopic("audit").build());
    same(
        "bulk_publish_event",
        "BulkPublishEvent",
        BulkPublishRequest.newBuilder()
            .setPubsubName("pubsub")
            .setTopic("audit")
            .addEntries(
                BulkPublishRequestEntry.newBuilder()
                    .setEntryId("1")
                    .setEvent(ByteString.copyFromUtf8("{}"))
                    .setContentType("application/json"))
            .build());
    Answer secret =
        same(
            "get_secret",
            "GetSecret",
            GetSecretRequest.newBuilder().setStoreName("secrets").setKey("DB_PASSWORD").build());
    assertThat(secret.failed()).isFalse();
    same(
        "get_secret",
        "GetSecret",
        GetSecretRequest.newBuilder().setStoreName("secrets").setKey("NOT_THERE").build());
    same(
        "get_bulk_secret",
        "GetBulkSecret",
        GetBulkSecretRequest.newBuilder().setStoreName("secrets").build());
    Answer metadata = throughTheApp("get_metadata", GetMetadataRequest.getDefaultInstance());
    assertThat(GetMetadataResponse.parseFrom(metadata.response()).getId()).isEqualTo(APP);
  }

  @Test
  void invokeServiceReachesTheAppInProcessAsTheGrpcApiDoes() throws Exception {
    InvokeServiceRequest request =
        InvokeServiceRequest.newBuilder()
            .setId(APP)
            .setMessage(
                CommonProtos.InvokeRequest.newBuilder()
                    .setMethod("echo")
                    .setContentType("text/plain")
                    .setData(
                        com.google.protobuf.Any.newBuilder()
                            .setValue(ByteString.copyFromUtf8("hi")))
                    .setHttpExtension(
                        CommonProtos.HTTPExtension.newBuilder()
                            .setVerb(CommonProtos.HTTPExtension.Verb.POST)))
            .build();
    Answer answer = same("invoke_service", "InvokeService", request);
    assertThat(
            CommonProtos.InvokeResponse.parseFrom(answer.response())
                .getData()
                .getValue()
                .toStringUtf8())
        .isEqualTo("hi");
    same("invoke_service", "InvokeService", request.toBuilder().setId("nobody-here").build());
  }

  @Test
  void aRequestThatIsNoMessageIsAnInvalidArgument() throws Exception {
    HttpResponse<byte[]> response =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + host.httpPort(APP).orElseThrow() + "/call/get_state"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0xff, 1, 2}))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(299);
    Status status = Status.parseFrom(response.body());
    assertThat(status.getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT.value());
    assertThat(status.getMessage()).contains("GetState");
  }
}
