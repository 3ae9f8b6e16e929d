package dev.pillion.server.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.invoke.resolution.AppAddress;
import dev.pillion.invoke.resolution.AppInstance;
import dev.pillion.invoke.resolution.AppNotFoundException;
import dev.pillion.invoke.resolution.spi.NameResolver;
import dev.pillion.server.AppProtocol;
import dev.pillion.server.PillionServer;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC proxying by {@code dapr-app-id}: a plain grpc-java app (no Dapr service, {@link BytesApp})
 * behind a runtime with {@code --app-protocol grpc} ({@code proxy-callee}), called through that
 * runtime (its own app) and through a second runtime without an app ({@code proxy-caller}, with an
 * API token), which finds the first through a same-machine registry and forwards over its internal
 * endpoint: unary and every kind of streaming, metadata, status and trailers, deadline and
 * cancellation, and the refusals.
 */
class GrpcProxyTest {
  private static final String TOKEN = "proxy-test-token";
  private static final Metadata.Key<String> CONTENT_TYPE =
      Metadata.Key.of("content-type", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir static Path resources;

  private static BytesApp app;
  private static EchoApp httpApp;
  private static PillionServer callee;
  private static PillionServer caller;
  private static PillionServer httpCallee;
  private static ManagedChannel toCallee;
  private static ManagedChannel toCaller;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(
        resources.resolve("config.yaml"),
        "apiVersion: dapr.io/v1alpha1\n"
            + "kind: Configuration\n"
            + "metadata:\n"
            + "  name: proxy-test\n"
            + "spec:\n"
            + "  nameResolution:\n"
            + "    component: local\n"
            + "    configuration:\n"
            + "      directory: "
            + resources.resolve("registry")
            + "\n");
    app = BytesApp.start();
    httpApp = EchoApp.start("http-app");
    callee =
        server("proxy-callee").appPort(app.port()).appProtocol(AppProtocol.GRPC).build().start();
    caller = server("proxy-caller").apiToken(TOKEN).build().start();
    httpCallee = server("proxy-http").appPort(httpApp.port()).build().start();
    toCallee =
        ManagedChannelBuilder.forAddress("127.0.0.1", callee.grpcPort()).usePlaintext().build();
    toCaller =
        ManagedChannelBuilder.forAddress("127.0.0.1", caller.grpcPort()).usePlaintext().build();
  }

  private static PillionServer.Builder server(String appId) {
    return PillionServer.builder()
        .runtime(
            Pillion.builder()
                .appId(appId)
                .resourcesPath(resources)
                .inProcessInvocation(false)
                .build())
        .closeRuntime(true)
        .httpPort(0)
        .grpcPort(0);
  }

  @AfterAll
  static void stop() throws Exception {
    toCallee.shutdownNow();
    toCaller.shutdownNow();
    caller.close();
    callee.close();
    httpCallee.close();
    app.close();
    httpApp.close();
  }

  @BeforeEach
  void forget() {
    app.received.clear();
    app.hangStarted = new CountDownLatch(1);
    app.hangCancelled = new CountDownLatch(1);
  }

  /** A channel that sends this metadata on every call, and keeps the last answer's metadata. */
  private static Channel with(
      Channel channel,
      AtomicReference<Metadata> headers,
      AtomicReference<Metadata> trailers,
      String... pairs) {
    Metadata metadata = new Metadata();
    for (int i = 0; i < pairs.length; i += 2) {
      metadata.put(Metadata.Key.of(pairs[i], Metadata.ASCII_STRING_MARSHALLER), pairs[i + 1]);
    }
    return ClientInterceptors.intercept(
        channel,
        MetadataUtils.newAttachHeadersInterceptor(metadata),
        MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
  }

  private static Channel with(Channel channel, String... pairs) {
    return with(channel, new AtomicReference<>(), new AtomicReference<>(), pairs);
  }

  /** Through the caller's runtime, with its token, to the callee's app. */
  private static Channel throughTwo(String... more) {
    List<String> pairs =
        new ArrayList<>(List.of("dapr-app-id", "proxy-callee", "dapr-api-token", TOKEN));
    pairs.addAll(List.of(more));
    return with(toCaller, pairs.toArray(String[]::new));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void unaryToTheOwnAppKeepsMetadataStatusAndTrailers() throws Exception {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    Channel channel =
        with(
            toCallee,
            headers,
            trailers,
            "dapr-app-id",
            "proxy-callee",
            "x-custom",
            "kept",
            "dapr-api-token",
            "not-for-the-app");
    byte[] answer =
        ClientCalls.blockingUnaryCall(channel, BytesApp.ECHO, CallOptions.DEFAULT, bytes("hello"));

    assertThat(text(answer)).isEqualTo("hello");
    assertThat(headers.get().get(BytesApp.APP_HEADER)).isEqualTo("from-app");
    assertThat(trailers.get().get(BytesApp.APP_TRAILER)).isEqualTo("done");
    BytesApp.Received received = app.received.poll(5, TimeUnit.SECONDS);
    assertThat(received.method()).isEqualTo("Echo");
    assertThat(received.header("x-custom")).isEqualTo("kept");
    assertThat(received.header("dapr-app-id")).isNull();
    assertThat(received.header("dapr-api-token")).isNull();
    assertThat(received.header("dapr-callee-app-id")).isEqualTo("proxy-callee");
    // gRPC's own metadata is set per hop, never doubled.
    assertThat(received.headers().getAll(CONTENT_TYPE)).containsExactly("application/grpc");
    assertThat(headers.get().getAll(CONTENT_TYPE)).containsExactly("application/grpc");
    // No deadline was set, so none reaches the app.
    assertThat(received.deadline()).isEmpty();
  }

  @Test
  void unaryThroughTwoRuntimesNamesCallerAndCalleeAndDropsTheToken() throws Exception {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    Channel channel =
        with(
            toCaller,
            headers,
            trailers,
            "dapr-app-id",
            "proxy-callee",
            "dapr-api-token",
            TOKEN,
            "dapr-caller-app-id",
            "spoofed",
            "x-custom",
            "kept");
    byte[] answer =
        ClientCalls.blockingUnaryCall(channel, BytesApp.ECHO, CallOptions.DEFAULT, bytes("two"));

    assertThat(text(answer)).isEqualTo("two");
    assertThat(headers.get().get(BytesApp.APP_HEADER)).isEqualTo("from-app");
    assertThat(trailers.get().get(BytesApp.APP_TRAILER)).isEqualTo("done");
    BytesApp.Received received = app.received.poll(5, TimeUnit.SECONDS);
    assertThat(received.header("x-custom")).isEqualTo("kept");
    assertThat(received.header("dapr-app-id")).isNull();
    assertThat(received.header("dapr-api-token")).isNull();
    assertThat(received.headers().getAll(GrpcProxy.CALLER_APP_ID)).containsExactly("proxy-caller");
    assertThat(received.headers().getAll(GrpcProxy.CALLEE_APP_ID)).containsExactly("proxy-callee");
  }

  @Test
  void serverStreamingThroughTwoRuntimesDeliversEveryMessageInOrder() {
    Iterator<byte[]> answers =
        ClientCalls.blockingServerStreamingCall(
            throughTwo(), BytesApp.COUNT, CallOptions.DEFAULT, bytes("2000"));
    List<String> received = new ArrayList<>();
    answers.forEachRemaining(answer -> received.add(text(answer)));
    assertThat(received)
        .containsExactlyElementsOf(IntStream.range(0, 2000).mapToObj(Integer::toString).toList());
  }

  @Test
  void clientAndBidiStreamingThroughTwoRuntimes() throws Exception {
    CompletableFuture<String> concatenated = new CompletableFuture<>();
    StreamObserver<byte[]> requests =
        ClientCalls.asyncClientStreamingCall(
            throughTwo().newCall(BytesApp.CONCAT, CallOptions.DEFAULT), collector(concatenated));
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      requests.onNext(bytes(i + ","));
      expected.append(i).append(',');
    }
    requests.onCompleted();
    assertThat(concatenated.get(10, TimeUnit.SECONDS)).isEqualTo(expected.toString());

    // Large messages, more than the HTTP/2 windows hold, so the proxy has to wait for the reader.
    String chunk = "x".repeat(256 * 1024);
    List<String> upper = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<byte[]> chat =
        ClientCalls.asyncBidiStreamingCall(
            throughTwo().newCall(BytesApp.UPPER, CallOptions.DEFAULT),
            new StreamObserver<>() {
              @Override
              public void onNext(byte[] value) {
                upper.add(text(value));
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                done.complete(null);
              }
            });
    for (int i = 0; i < 40; i++) {
      chat.onNext(bytes(i + chunk));
    }
    chat.onCompleted();
    done.get(30, TimeUnit.SECONDS);
    assertThat(upper).hasSize(40);
    for (int i = 0; i < 40; i++) {
      assertThat(upper.get(i)).isEqualTo(i + chunk.toUpperCase(java.util.Locale.ROOT));
    }
  }

  private static StreamObserver<byte[]> collector(CompletableFuture<String> into) {
    return new StreamObserver<>() {
      private final StringBuilder all = new StringBuilder();

      @Override
      public void onNext(byte[] value) {
        all.append(text(value));
      }

      @Override
      public void onError(Throwable t) {
        into.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        into.complete(all.toString());
      }
    };
  }

  @Test
  void theAppsErrorStatusAndTrailersComeBack() {
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    Channel channel =
        with(
            toCaller,
            new AtomicReference<>(),
            trailers,
            "dapr-app-id",
            "proxy-callee",
            "dapr-api-token",
            TOKEN);
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    channel, BytesApp.FAIL, CallOptions.DEFAULT, bytes("x")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(e.getStatus().getDescription()).isEqualTo("nope");
              assertThat(e.getTrailers().get(BytesApp.WHY)).isEqualTo("the app says no");
            });
  }

  @Test
  void theDeadlineReachesTheAppThroughTwoRuntimes() throws Exception {
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    throughTwo(),
                    BytesApp.HANG,
                    CallOptions.DEFAULT.withDeadlineAfter(1500, TimeUnit.MILLISECONDS),
                    bytes("x")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    BytesApp.Received received = app.received.poll(5, TimeUnit.SECONDS);
    assertThat(received.method()).isEqualTo("Hang");
    assertThat(received.deadline()).isPresent();
    assertThat(received.deadline().get().timeRemaining(TimeUnit.MILLISECONDS)).isLessThan(1500);
    assertThat(app.hangCancelled.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void cancellingTheCallCancelsItAtTheAppThroughTwoRuntimes() throws Exception {
    ClientCall<byte[], byte[]> call = throughTwo().newCall(BytesApp.HANG, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status);
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage(bytes("x"));
    call.halfClose();
    assertThat(app.hangStarted.await(5, TimeUnit.SECONDS)).isTrue();
    // No deadline: only the cancellation passed on can end the app's call.
    assertThat(app.received.poll(5, TimeUnit.SECONDS).deadline()).isEmpty();
    call.cancel("the test gives up", null);

    assertThat(app.hangCancelled.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(closed.get(5, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.CANCELLED);
  }

  @Test
  void anUnknownAppIdIsDaprdsUnknownNamingIt() {
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    with(toCaller, "dapr-app-id", "nobody-here", "dapr-api-token", TOKEN),
                    BytesApp.ECHO,
                    CallOptions.DEFAULT,
                    bytes("x")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
              assertThat(e.getStatus().getDescription()).contains("'nobody-here'", "not found");
            });
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    with(toCaller, "dapr-app-id", "a.b.c", "dapr-api-token", TOKEN),
                    BytesApp.ECHO,
                    CallOptions.DEFAULT,
                    bytes("x")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("'a.b.c'");
            });
  }

  @Test
  void withoutDaprAppIdTheMethodIsUnimplemented() {
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    with(toCaller, "dapr-api-token", TOKEN),
                    BytesApp.ECHO,
                    CallOptions.DEFAULT,
                    bytes("x")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
              assertThat(e.getStatus().getDescription())
                  .contains("pillion.test.Bytes/Echo", "dapr-app-id");
            });
    assertThat(app.received).isEmpty();
  }

  @Test
  void theApiTokenIsRequiredAsForDaprsOwnMethods() {
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    with(toCaller, "dapr-app-id", "proxy-callee"),
                    BytesApp.ECHO,
                    CallOptions.DEFAULT,
                    bytes("x")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    assertThat(app.received).isEmpty();
  }

  @Test
  void anAppServedOverHttpCannotTakeProxiedCalls() {
    ManagedChannel toHttpCallee =
        ManagedChannelBuilder.forAddress("127.0.0.1", httpCallee.grpcPort()).usePlaintext().build();
    try {
      assertThatThrownBy(
              () ->
                  ClientCalls.blockingUnaryCall(
                      with(toHttpCallee, "dapr-app-id", "proxy-http"),
                      BytesApp.ECHO,
                      CallOptions.DEFAULT,
                      bytes("x")))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                assertThat(e.getStatus().getDescription())
                    .contains("'proxy-http'", "--app-protocol grpc");
              });
    } finally {
      toHttpCallee.shutdownNow();
    }
  }

  @Test
  void theInternalEndpointForwardsOnlyToItsOwnApp() throws Exception {
    ManagedChannel internal =
        ManagedChannelBuilder.forAddress("127.0.0.1", callee.internalGrpcPort())
            .usePlaintext()
            .build();
    try {
      byte[] answer =
          ClientCalls.blockingUnaryCall(
              with(
                  internal,
                  "dapr-callee-app-id",
                  "proxy-callee",
                  "dapr-caller-app-id",
                  "a-daprd-app"),
              BytesApp.ECHO,
              CallOptions.DEFAULT,
              bytes("as daprd sends it"));
      assertThat(text(answer)).isEqualTo("as daprd sends it");
      assertThat(app.received.poll(5, TimeUnit.SECONDS).header("dapr-caller-app-id"))
          .isEqualTo("a-daprd-app");

      assertThatThrownBy(
              () ->
                  ClientCalls.blockingUnaryCall(
                      with(internal, "dapr-callee-app-id", "proxy-caller"),
                      BytesApp.ECHO,
                      CallOptions.DEFAULT,
                      bytes("x")))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                assertThat(e.getStatus().getDescription()).contains("'proxy-caller'");
              });
      assertThat(app.received).isEmpty();
    } finally {
      internal.shutdownNow();
    }
  }

  @Test
  void anUnhealthyAppFailsFastAndRecovers() throws Exception {
    AtomicBoolean healthy = new AtomicBoolean(false);
    ManagedChannel toApp =
        ManagedChannelBuilder.forAddress("127.0.0.1", app.port()).usePlaintext().build();
    NameResolver noOthers = new FixedResolver(Optional.empty());
    GrpcProxy proxy =
        GrpcProxy.builder()
            .appId("checked")
            .namespace("default")
            .app(toApp)
            .health(healthy::get)
            .resolver(noOthers)
            .build();
    Server endpoint =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .fallbackHandlerRegistry(proxy.internalRegistry())
            .build()
            .start();
    ManagedChannel toEndpoint =
        ManagedChannelBuilder.forAddress("127.0.0.1", endpoint.getPort()).usePlaintext().build();
    try {
      Channel channel = with(toEndpoint, "dapr-callee-app-id", "checked");
      assertThatThrownBy(
              () ->
                  ClientCalls.blockingUnaryCall(
                      channel, BytesApp.ECHO, CallOptions.DEFAULT, bytes("x")))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(e.getStatus().getDescription()).contains("not in a healthy state");
              });
      assertThat(app.received).isEmpty();

      healthy.set(true);
      assertThat(
              text(
                  ClientCalls.blockingUnaryCall(
                      channel, BytesApp.ECHO, CallOptions.DEFAULT, bytes("again"))))
          .isEqualTo("again");
    } finally {
      toEndpoint.shutdownNow();
      endpoint.shutdownNow();
      proxy.close();
      toApp.shutdownNow();
    }
  }

  /** Answers one address for every app, or none; records the addresses reported unreachable. */
  private static final class FixedResolver implements NameResolver {
    private final Optional<AppAddress> address;
    final List<String> unreachable = new java.util.concurrent.CopyOnWriteArrayList<>();

    FixedResolver(Optional<AppAddress> address) {
      this.address = address;
    }

    @Override
    public String name() {
      return "fixed";
    }

    @Override
    public Registration register(AppInstance instance) {
      throw new UnsupportedOperationException("registration");
    }

    @Override
    public AppAddress resolve(String appId, String namespace) {
      return address.orElseThrow(
          () -> new AppNotFoundException(appId, namespace, "this test resolves nothing"));
    }

    @Override
    public void unreachable(String appId, String namespace, AppAddress refused) {
      unreachable.add(appId + "." + namespace + "@" + refused.authority());
    }

    @Override
    public void close() {}
  }

  @Test
  void aRuntimeThatRefusesTheConnectionIsReportedToNameResolution() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    FixedResolver resolver =
        new FixedResolver(Optional.of(new AppAddress("127.0.0.1", closedPort)));
    GrpcProxy proxy =
        GrpcProxy.builder().appId("here").namespace("default").resolver(resolver).build();
    Server endpoint =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .fallbackHandlerRegistry(proxy.publicRegistry(List.of()))
            .build()
            .start();
    ManagedChannel toEndpoint =
        ManagedChannelBuilder.forAddress("127.0.0.1", endpoint.getPort()).usePlaintext().build();
    try {
      assertThatThrownBy(
              () ->
                  ClientCalls.blockingUnaryCall(
                      with(toEndpoint, "dapr-app-id", "elsewhere.prod"),
                      BytesApp.ECHO,
                      CallOptions.DEFAULT,
                      bytes("x")))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      assertThat(resolver.unreachable).containsExactly("elsewhere.prod@127.0.0.1:" + closedPort);
    } finally {
      toEndpoint.shutdownNow();
      endpoint.shutdownNow();
      proxy.close();
    }
  }

  @Test
  void daprAppIdMayNameTheNamespace() throws Exception {
    byte[] answer =
        ClientCalls.blockingUnaryCall(
            with(toCaller, "dapr-app-id", "proxy-callee.default", "dapr-api-token", TOKEN),
            BytesApp.ECHO,
            CallOptions.DEFAULT,
            bytes("namespaced"));
    assertThat(text(answer)).isEqualTo("namespaced");
    assertThatThrownBy(
            () ->
                ClientCalls.blockingUnaryCall(
                    with(toCaller, "dapr-app-id", "proxy-callee.other", "dapr-api-token", TOKEN),
                    BytesApp.ECHO,
                    CallOptions.DEFAULT,
                    bytes("x")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN);
              assertThat(e.getStatus().getDescription()).contains("namespace 'other'");
            });
  }
}
