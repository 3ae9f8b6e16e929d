package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannelProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CLI serves the Dapr API over sockets and installs no JVM-wide gRPC channel provider: the
 * embedded SDK channel (pillion-sdk-embedded) is not on its classpath, so every channel the
 * application's JVM tooling or a plugin builds is gRPC's own.
 */
class ChannelProviderTest {
  private static final String REGISTRATIONS =
      "META-INF/services/" + ManagedChannelProvider.class.getName();

  @Test
  void everyRegisteredChannelProviderIsGrpcsOwn() throws IOException {
    List<String> providers = new ArrayList<>();
    for (URL registration :
        Collections.list(getClass().getClassLoader().getResources(REGISTRATIONS))) {
      try (InputStream in = registration.openStream()) {
        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
          String provider = line.replaceAll("#.*", "").trim();
          if (!provider.isEmpty()) {
            providers.add(provider);
          }
        }
      }
    }
    assertThat(providers).isNotEmpty().allSatisfy(p -> assertThat(p).startsWith("io.grpc."));
    assertThat(ManagedChannelProvider.provider().getClass().getName()).startsWith("io.grpc.");
  }
}
