package dev.pillion.server;

import dev.pillion.Pillion;
import dev.pillion.server.sdk.DaprSdkContract;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.config.Properties;

/** The SDK over loopback gRPC against {@link PillionServer}. */
class ServerSdkTest extends DaprSdkContract {
  private PillionServer server;

  @Override
  protected DaprClient connect(Pillion runtime) {
    server = PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start();
    return new DaprClientBuilder()
        .withPropertyOverride(Properties.GRPC_ENDPOINT, "http://127.0.0.1:" + server.grpcPort())
        .withPropertyOverride(Properties.HTTP_ENDPOINT, "http://127.0.0.1:" + server.httpPort())
        .build();
  }

  @Override
  protected void disconnect() {
    server.close();
  }
}
