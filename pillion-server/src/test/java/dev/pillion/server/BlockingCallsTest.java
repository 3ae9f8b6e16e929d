package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.pillion.Pillion;
import dev.pillion.abi.state.DeleteRequest;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.state.spi.StateComponent;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprStateProtos;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Calls into a component marked blocking (here a Java component that says so, {@link
 * StateComponent#isBlocking()}) run on the bounded executor, not on the thread that received the
 * request: other calls on the same gRPC connection go on while one waits, HTTP responses stay in
 * request order, and a full executor refuses with 429 / RESOURCE_EXHAUSTED.
 */
class BlockingCallsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A store whose reads of the key {@code wait} block until released; it records its threads. */
  private static final class GateStore implements StateComponent {
    private final String name;
    private final boolean blocking;
    private final Map<String, byte[]> values = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch waiting = new CountDownLatch(1);
    private final List<String> threads = new CopyOnWriteArrayList<>();
    private final List<String> calls;

    GateStore(String name, boolean blocking, List<String> calls) {
      this.name = name;
      this.blocking = blocking;
      this.calls = calls;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public boolean isBlocking() {
      return blocking;
    }

    @Override
    public Set<String> features() {
      return Set.of();
    }

    @Override
    public GetResponse get(GetRequest request) {
      threads.add(Thread.currentThread().getName());
      // The building block prefixes keys with the app id ("blocking||wait").
      String key = request.getKey().substring(request.getKey().lastIndexOf('|') + 1);
      calls.add(name + " get " + key);
      if (key.equals("wait")) {
        waiting.countDown();
        try {
          if (!release.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("never released");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        calls.add(name + " released");
      }
      byte[] value = values.get(request.getKey());
      return value == null
          ? GetResponse.getDefaultInstance()
          : GetResponse.newBuilder().setData(ByteString.copyFrom(value)).build();
    }

    @Override
    public void set(SetRequest request) {
      values.put(request.getKey(), request.getData().toByteArray());
    }

    @Override
    public void delete(DeleteRequest request) {
      values.remove(request.getKey());
    }

    @Override
    public void close() {
      release.countDown();
    }
  }

  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final GateStore slow = new GateStore("slow", true, calls);
  private final GateStore fast = new GateStore("fast", false, calls);
  private Pillion runtime;
  private PillionServer server;
  private ManagedChannel channel;

  @BeforeEach
  void loadStores() {
    runtime =
        Pillion.builder()
            .appId("blocking")
            .stateStore("slow", slow)
            .stateStore("fast", fast)
            .build();
    runtime.state("slow").save("wait", "\"slow value\"");
    runtime.state("fast").save("k", "\"fast value\"");
  }

  private void start(BlockingCalls blocking) {
    server =
        PillionServer.builder()
            .runtime(runtime)
            .httpPort(0)
            .grpcPort(0)
            .blockingCalls(blocking)
            .build()
            .start();
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.grpcPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    slow.release.countDown();
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
    runtime.close();
  }

  private static DaprStateProtos.GetStateRequest get(String store, String key) {
    return DaprStateProtos.GetStateRequest.newBuilder().setStoreName(store).setKey(key).build();
  }

  @Test
  void aWaitingGrpcCallDoesNotHoldUpItsConnection() throws Exception {
    start(BlockingCalls.defaults());
    Future<DaprStateProtos.GetStateResponse> waiting =
        DaprGrpc.newFutureStub(channel).getState(get("slow", "wait"));
    assertThat(slow.waiting.await(10, TimeUnit.SECONDS)).isTrue();
    // The same channel, so the same connection and transport thread: it answers while slow waits.
    DaprStateProtos.GetStateResponse other =
        DaprGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .getState(get("fast", "k"));
    assertThat(other.getData().toStringUtf8()).isEqualTo("\"fast value\"");
    assertThat(waiting.isDone()).isFalse();
    slow.release.countDown();
    assertThat(waiting.get(10, TimeUnit.SECONDS).getData().toStringUtf8())
        .isEqualTo("\"slow value\"");
    assertThat(slow.threads)
        .allSatisfy(thread -> assertThat(thread).startsWith("pillion-blocking-"));
    assertThat(fast.threads)
        .noneSatisfy(thread -> assertThat(thread).startsWith("pillion-blocking-"));
  }

  @Test
  void pipelinedHttpRequestsAreAnsweredInOrderAroundAWaitingCall() throws Exception {
    start(BlockingCalls.defaults());
    try (RawHttp http = new RawHttp(server.httpPort())) {
      http.send(
          "GET /v1.0/state/slow/wait HTTP/1.1\r\nHost: x\r\n\r\n"
              + "GET /v1.0/state/fast/k HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(slow.waiting.await(10, TimeUnit.SECONDS)).isTrue();
      slow.release.countDown();
      RawHttp.Response first = http.read();
      RawHttp.Response second = http.read();
      assertThat(first.body()).isEqualTo("\"slow value\"");
      assertThat(second.body()).isEqualTo("\"fast value\"");
      // The request behind the waiting one was held, not run beside it.
      assertThat(calls).containsExactly("slow get wait", "slow released", "fast get k");
      // The connection reads again afterwards.
      http.request("GET", "/v1.0/state/fast/k", null);
      assertThat(http.read().body()).isEqualTo("\"fast value\"");
    }
    assertThat(slow.threads)
        .allSatisfy(thread -> assertThat(thread).startsWith("pillion-blocking-"));
    assertThat(fast.threads)
        .noneSatisfy(thread -> assertThat(thread).startsWith("pillion-blocking-"));
  }

  @Test
  void aFullExecutorRefusesTheCallNamingTheComponent() throws Exception {
    start(BlockingCalls.builder().threads(1).queueCapacity(0).build());
    Future<DaprStateProtos.GetStateResponse> occupying =
        DaprGrpc.newFutureStub(channel).getState(get("slow", "wait"));
    assertThat(slow.waiting.await(10, TimeUnit.SECONDS)).isTrue();
    String expected =
        "the call to component 'slow' was refused: all 1 threads for blocking components are busy"
            + " and 0 calls are waiting (BlockingCalls threads and queueCapacity)";
    assertThatThrownBy(
            () ->
                DaprGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getState(get("slow", "other")))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription()).isEqualTo(expected);
            });
    try (RawHttp http = new RawHttp(server.httpPort())) {
      http.request("GET", "/v1.0/state/slow/other", null);
      RawHttp.Response refused = http.read();
      assertThat(refused.status()).isEqualTo(429);
      JsonNode body = JSON.readTree(refused.body().getBytes(StandardCharsets.UTF_8));
      assertThat(body.path("errorCode").asText()).isEqualTo("ERR_TOO_MANY_REQUESTS");
      assertThat(body.path("message").asText()).isEqualTo(expected);
    }
    slow.release.countDown();
    assertThat(occupying.get(10, TimeUnit.SECONDS).getData().toStringUtf8())
        .isEqualTo("\"slow value\"");
  }

  @Test
  void closingLetsABlockingCallInFlightAnswer() throws Exception {
    start(BlockingCalls.defaults());
    try (RawHttp http = new RawHttp(server.httpPort())) {
      http.request("GET", "/v1.0/state/slow/wait", null);
      assertThat(slow.waiting.await(10, TimeUnit.SECONDS)).isTrue();
      Thread closing = new Thread(server::close, "test-close");
      closing.start();
      // Release the call only once closing waits for the blocking executor to drain.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!waitsForTheExecutor(closing) && System.nanoTime() < deadline) {
        Thread.sleep(1);
      }
      assertThat(waitsForTheExecutor(closing)).as("close() waits for the blocking call").isTrue();
      slow.release.countDown();
      RawHttp.Response answer = http.read();
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.body()).isEqualTo("\"slow value\"");
      closing.join(10_000);
    }
  }

  private static boolean waitsForTheExecutor(Thread thread) {
    for (StackTraceElement frame : thread.getStackTrace()) {
      if (frame.getClassName().equals("java.util.concurrent.ThreadPoolExecutor")
          && frame.getMethodName().equals("awaitTermination")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void theSettingIsCheckedWhenBuilt() {
    assertThatThrownBy(() -> BlockingCalls.builder().threads(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("blocking calls need at least 1 thread, got 0");
    assertThatThrownBy(() -> BlockingCalls.builder().queueCapacity(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the queue of blocking calls cannot have a negative capacity, got -1");
    assertThat(BlockingCalls.builder().threads(4).queueCapacity(0).build())
        .extracting(BlockingCalls::threads, BlockingCalls::queueCapacity)
        .containsExactly(4, 0);
    assertThat(BlockingCalls.defaults())
        .extracting(BlockingCalls::threads, BlockingCalls::queueCapacity)
        .containsExactly(BlockingCalls.DEFAULT_THREADS, BlockingCalls.DEFAULT_QUEUE_CAPACITY);
  }
}
