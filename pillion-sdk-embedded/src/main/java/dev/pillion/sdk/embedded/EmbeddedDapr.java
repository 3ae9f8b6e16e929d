package dev.pillion.sdk.embedded;

import dev.pillion.Pillion;
import dev.pillion.abi.PillionException;
import dev.pillion.server.DaprApi;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.config.Properties;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
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
 */
public final class EmbeddedDapr implements AutoCloseable {
  private static final AtomicLong NEXT_ID = new AtomicLong();

  private final String name;
  private final Server server;

  private EmbeddedDapr(String name, Server server) {
    this.name = name;
    this.server = server;
  }

  /**
   * Serves a runtime in-process. The runtime stays the caller's to close.
   *
   * @param runtime the runtime
   * @return the embedded endpoint
   */
  public static EmbeddedDapr start(Pillion runtime) {
    String name =
        EmbeddedChannelProvider.HOST_PREFIX
            + ProcessHandle.current().pid()
            + "-"
            + NEXT_ID.incrementAndGet();
    EmbeddedDapr[] self = new EmbeddedDapr[1];
    DaprApi api =
        DaprApi.builder()
            .runtime(runtime)
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
      self[0] = new EmbeddedDapr(name, server);
      return self[0];
    } catch (IOException e) {
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
   * A builder for an official client wired to this runtime; add serializers or other overrides,
   * then build.
   *
   * @return the builder
   */
  public DaprClientBuilder clientBuilder() {
    return new DaprClientBuilder().withPropertyOverride(Properties.GRPC_ENDPOINT, grpcEndpoint());
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
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
