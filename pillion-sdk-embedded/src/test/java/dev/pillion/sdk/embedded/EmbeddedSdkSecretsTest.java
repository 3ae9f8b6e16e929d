package dev.pillion.sdk.embedded;

import dev.pillion.Pillion;
import dev.pillion.server.sdk.DaprSdkSecretsContract;
import io.dapr.client.DaprClient;

/** The same SDK secrets tests against the embedded, in-process client: no sockets. */
class EmbeddedSdkSecretsTest extends DaprSdkSecretsContract {
  private EmbeddedDapr embedded;

  @Override
  protected DaprClient connect(Pillion runtime) {
    embedded = EmbeddedDapr.start(runtime);
    return embedded.client();
  }

  @Override
  protected void disconnect() {
    embedded.close();
  }
}
