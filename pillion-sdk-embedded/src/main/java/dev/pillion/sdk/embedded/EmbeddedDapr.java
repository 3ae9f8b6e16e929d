package dev.pillion.sdk.embedded;

import dev.pillion.Pillion;
import dev.pillion.abi.PillionException;
import dev.pillion.server.BlockingCalls;
import dev.pillion.server.BlockingCallsExecutor;
import dev.pillion.server.DaprApi;
import dev.pillion.server.LoopbackHttpApi;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.config.Properties;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * No-sidecar mode for Dapr Java SDK applications: the Dapr gRPC API of an embedded runtime on
 * gRPC's in-process transport, and official {@link DaprClient}s wired to it. Application code stays
 * the same whether it talks to daprd, to {@code pillion run}, or to this.
 *
 * <pre>{@code
 * try (Pillion runtime = Pillion.builder().resourcesPath(dir).appId("orders").build();
 *     EmbeddedDapr dapr = EmbeddedDapr.start(runtime);
 *     DaprClient client = dapr.client()) {
 *   client.saveState("statestore", "k", "v").block();
 * }
 * }</pre>
 *
 * <p>An application that builds its own client with {@code new DaprClientBuilder()} can point it
 * here by setting {@code DAPR_GRPC_ENDPOINT} (or {@code -Ddapr.grpc.endpoint}) to {@link
 * #grpcEndpoint()}.
 *
 * <p>The SDK sends {@code invokeMethod} (and {@code waitForSidecar}) over HTTP with the JDK's
 * client, which no provider can redirect in-process; for those, {@link #clientBuilder()} points the
 * SDK at a loopback HTTP listener serving the same API ({@link #httpEndpoint()}), started the first
 * time a client is built and bound to 127.0.0.1 only. An invocation still reaches an app of this
 * JVM without a further socket: the listener hands it to the runtime's in-process invocation.
 *
 * <p>Calls into the runtime's blocking components (those granted a capability that waits on the
 * network, such as {@code state.redis}) run on a bounded executor this endpoint owns ({@link
 * BlockingCalls}, as in the server), never on the loopback listener's event loop or the caller's
 * thread; {@link #close()} stops it.
 */
public final class EmbeddedDapr implements AutoCloseable {
  private static final AtomicLong NEXT_ID = new AtomicLong();

  /** How long calls in flight may take to finish when this closes. */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  private final String name;
  private final Server server;
  private final DaprApi api;
  private final BlockingCallsExecutor blockingCalls;
  private LoopbackHttpApi loopback;

  private EmbeddedDapr(
      String name, Server server, DaprApi api, BlockingCallsExecutor blockingCalls) {
    this.name = name;
    this.server = server;
    this.api = api;
    this.blockingCalls = blockingCalls;
  }

  /**
   * Serves a runtime in-process, with the default executor for blocking components ({@link
   * BlockingCalls#defaults()}). The runtime stays the caller's to close.
   *
   * @param runtime the runtime
   * @return the embedded endpoint
   */
  public static EmbeddedDapr start(Pillion runtime) {
    return start(runtime, BlockingCalls.defaults());
  }

  /**
   * Serves a runtime in-process. The runtime stays the caller's to close.
   *
   * @param runtime the runtime
   * @param blockingCalls the size of the executor calls into the runtime's blocking components run
   *     on (started only if it has one)
   * @return the embedded endpoint
   */
  public static EmbeddedDapr start(Pillion runtime, BlockingCalls blockingCalls) {
    String name =
        EmbeddedChannelProvider.HOST_PREFIX
            + ProcessHandle.current().pid()
            + "-"
            + NEXT_ID.incrementAndGet();
    EmbeddedDapr[] self = new EmbeddedDapr[1];
    BlockingCallsExecutor blocking = BlockingCallsExecutor.create(runtime, blockingCalls);
    DaprApi api =
        DaprApi.builder()
            .runtime(runtime)
            .calls(blocking.calls())
            .shutdown(
                () -> {
                  if (self[0] != null) {
                    new Thread(self[0]::close, "pillion-embedded-shutdown").start();
                  }
                })
            .build();
    try {
      Server server =
          InProcessServerBuilder.forName(name)
              .directExecutor()
              .addService(api.grpcService())
              .build()
              .start();
      self[0] = new EmbeddedDapr(name, server, api, blocking);
      return self[0];
    } catch (IOException e) {
      blocking.close();
      throw new PillionException("cannot start the embedded Dapr API: " + e.getMessage(), e);
    }
  }

  /**
   * The gRPC endpoint to give the SDK ({@code DAPR_GRPC_ENDPOINT}).
   *
   * @return e.g. {@code http://pillion-embedded-4242-1:50001}
   */
  public String grpcEndpoint() {
    return "http://" + name + ":50001";
  }

  /**
   * The HTTP endpoint for the SDK's HTTP calls ({@code DAPR_HTTP_ENDPOINT}): a loopback listener
   * serving this runtime's Dapr API, started on the first call.
   *
   * @return e.g. {@code http://127.0.0.1:41234}
   * @throws PillionException when no loopback port can be bound
   */
  public synchronized String httpEndpoint() {
    if (loopback == null) {
      loopback = LoopbackHttpApi.start(api);
    }
    return "http://127.0.0.1:" + loopback.port();
  }

  /**
   * A builder for an official client wired to this runtime (gRPC in-process, HTTP over the loopback
   * listener); add serializers or other overrides, then build.
   *
   * @return the builder
   */
  public DaprClientBuilder clientBuilder() {
    return new DaprClientBuilder()
        .withPropertyOverride(Properties.GRPC_ENDPOINT, grpcEndpoint())
        .withPropertyOverride(Properties.HTTP_ENDPOINT, httpEndpoint());
  }

  /**
   * An official client wired to this runtime.
   *
   * @return the client; close it before closing this
   */
  public DaprClient client() {
    return clientBuilder().build();
  }

  /** Stops serving; calls in flight finish first. */
  @Override
  public void close() {
    synchronized (this) {
      if (loopback != null) {
        loopback.close();
      }
    }
    server.shutdown();
    try {
      if (!server.awaitTermination(CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    // After the faces: calls already handed to the executor finish and answer first.
    blockingCalls.close(CLOSE_GRACE);
  }
}
