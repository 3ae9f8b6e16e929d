package dev.pillion.server.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.pillion.Pillion;
import dev.pillion.server.PillionServer;
import dev.pillion.server.internals.v1.ApiVersionProtos.APIVersion;
import dev.pillion.server.internals.v1.ServiceInvocationGrpc;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequest;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeRequestStream;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponseStream;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.ListStringValue;
import io.dapr.v1.CommonProtos.HTTPExtension;
import io.dapr.v1.CommonProtos.InvokeRequest;
import io.dapr.v1.CommonProtos.StreamPayload;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code CallLocalStream} on the internal endpoint, sent as daprd sends an HTTP invocation with a
 * streamed body: a leading chunk with the request and no data, then numbered payloads; the answer
 * comes back the same way.
 */
class CallLocalStreamTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 64 * 1024;

  @TempDir static Path resources;

  private static EchoApp app;
  private static PillionServer server;
  private static ManagedChannel internal;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(
        resources.resolve("config.yaml"),
        "apiVersion: dapr.io/v1alpha1\n"
            + "kind: Configuration\n"
            + "metadata:\n"
            + "  name: stream-test\n"
            + "spec:\n"
            + "  nameResolution:\n"
            + "    component: local\n"
            + "    configuration:\n"
            + "      directory: "
            + resources.resolve("registry")
            + "\n");
    app = EchoApp.start("stream-app");
    server =
        PillionServer.builder()
            .runtime(
                Pillion.builder()
                    .appId("stream-callee")
                    .resourcesPath(resources)
                    .inProcessInvocation(false)
                    .build())
            .closeRuntime(true)
            .httpPort(0)
            .grpcPort(0)
            .maxBodyBytes(MAX_BODY)
            .appPort(app.port())
            .build()
            .start();
    internal =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.internalGrpcPort())
            .usePlaintext()
            .build();
  }

  @AfterAll
  static void stop() {
    internal.shutdownNow();
    server.close();
    app.close();
  }

  /** The leading chunk: the request without data. */
  private static InternalInvokeRequestStream leading(String method) {
    return InternalInvokeRequestStream.newBuilder()
        .setRequest(
            InternalInvokeRequest.newBuilder()
                .setVer(APIVersion.V1)
                .putMetadata("x-streamed", ListStringValue.newBuilder().addValues("yes").build())
                .setMessage(
                    InvokeRequest.newBuilder()
                        .setMethod(method)
                        .setData(Any.getDefaultInstance())
                        .setContentType("text/plain")
                        .setHttpExtension(
                            HTTPExtension.newBuilder()
                                .setVerb(HTTPExtension.Verb.PUT)
                                .setQuerystring("part=1"))))
        .build();
  }

  private static InternalInvokeRequestStream payload(String data, long seq) {
    return InternalInvokeRequestStream.newBuilder()
        .setPayload(StreamPayload.newBuilder().setData(ByteString.copyFromUtf8(data)).setSeq(seq))
        .build();
  }

  /** Sends the chunks, half-closes, and gathers the answer's chunks. */
  private static List<InternalInvokeResponseStream> call(List<InternalInvokeRequestStream> chunks)
      throws Exception {
    List<InternalInvokeResponseStream> answers = new ArrayList<>();
    CompletableFuture<List<InternalInvokeResponseStream>> done = new CompletableFuture<>();
    StreamObserver<InternalInvokeRequestStream> requests =
        ServiceInvocationGrpc.newStub(internal)
            .callLocalStream(
                new StreamObserver<>() {
                  @Override
                  public void onNext(InternalInvokeResponseStream value) {
                    answers.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(answers);
                  }
                });
    chunks.forEach(requests::onNext);
    requests.onCompleted();
    try {
      return done.get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  private static Status failure(List<InternalInvokeRequestStream> chunks) {
    try {
      call(chunks);
    } catch (Exception e) {
      return Status.fromThrowable(e);
    }
    throw new AssertionError("the call succeeded");
  }

  @Test
  void aChunkedRequestReachesTheAppWholeAndTheAnswerComesBackInChunks() throws Exception {
    String part = "0123456789".repeat(4000);
    List<InternalInvokeRequestStream> chunks = new ArrayList<>();
    chunks.add(
        leading("orders/7").toBuilder().setPayload(payload("first|", 0).getPayload()).build());
    chunks.add(payload(part, 1));
    chunks.add(payload("", 2));
    chunks.add(payload(part + "|last", 3));

    List<InternalInvokeResponseStream> answers = call(chunks);

    InternalInvokeResponseStream first = answers.get(0);
    assertThat(first.hasResponse()).isTrue();
    assertThat(first.getResponse().getStatus().getCode()).isEqualTo(200);
    assertThat(first.getResponse().getHeadersMap().get("x-served-by").getValuesList())
        .containsExactly("stream-app");
    assertThat(first.getResponse().getMessage().getData().getValue().isEmpty()).isTrue();
    ByteString body = ByteString.EMPTY;
    for (int i = 0; i < answers.size(); i++) {
      assertThat(answers.get(i).hasResponse()).isEqualTo(i == 0);
      assertThat(answers.get(i).getPayload().getSeq()).isEqualTo(i);
      body = body.concat(answers.get(i).getPayload().getData());
    }
    // The echo of an 80 KB body is more than one 64 KiB chunk.
    assertThat(answers).hasSizeGreaterThan(1);
    JsonNode echo = JSON.readTree(body.toByteArray());
    assertThat(echo.path("verb").asText()).isEqualTo("PUT");
    assertThat(echo.path("path").asText()).isEqualTo("/orders/7");
    assertThat(echo.path("query").asText()).isEqualTo("part=1");
    assertThat(echo.path("headers").path("x-streamed").asText()).isEqualTo("yes");
    assertThat(echo.path("headers").path("content-type").asText()).isEqualTo("text/plain");
    assertThat(echo.path("body").asText()).isEqualTo("first|" + part + part + "|last");
  }

  @Test
  void anEmptyAnswerIsOneMessage() throws Exception {
    InternalInvokeRequestStream head = leading("empty");
    List<InternalInvokeResponseStream> answers = call(List.of(head));
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0).getResponse().getStatus().getCode()).isEqualTo(204);
    assertThat(answers.get(0).hasPayload()).isFalse();
  }

  @Test
  void chunksOutOfOrderOrMisplacedAreRefusedNamingWhatIsWrong() {
    Status skipped = failure(List.of(leading("a"), payload("x", 0), payload("y", 2)));
    assertThat(skipped.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(skipped.getDescription())
        .contains("CallLocalStream", "invalid sequence number received: 2 (expected: 1)");

    Status noRequest = failure(List.of(payload("x", 0)));
    assertThat(noRequest.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(noRequest.getDescription()).contains("leading chunk carries no request");

    Status twice = failure(List.of(leading("a"), leading("b")));
    assertThat(twice.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(twice.getDescription()).contains("after the leading one");

    InternalInvokeRequestStream withData =
        leading("a").toBuilder()
            .setRequest(
                leading("a").getRequest().toBuilder()
                    .setMessage(
                        leading("a").getRequest().getMessage().toBuilder()
                            .setData(Any.newBuilder().setValue(ByteString.copyFromUtf8("d")))))
            .build();
    Status data = failure(List.of(withData));
    assertThat(data.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(data.getDescription()).contains("carries data");

    Status nothing = failure(List.of());
    assertThat(nothing.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(nothing.getDescription()).contains("sent no request");
  }

  @Test
  void aBodyOverTheLimitIsRefused() {
    String big = "x".repeat(200 * 1024);
    Status tooBig = failure(List.of(leading("a"), payload(big, 0), payload(big, 1)));
    assertThat(tooBig.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(tooBig.getDescription()).contains("--max-body-size");
  }
}
