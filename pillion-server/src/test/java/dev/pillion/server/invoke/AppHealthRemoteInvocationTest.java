package dev.pillion.server.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import dev.pillion.server.PillionServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unhealthy app behind another runtime: the caller's runtime reaches the target's internal
 * endpoint, which refuses at once without calling the app; the caller answers daprd's
 * ERR_DIRECT_INVOKE with daprd's message, and calls go through again once the app recovers.
 */
class AppHealthRemoteInvocationTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path resources;

  @Test
  void aCallThroughTheInternalEndpointFailsFastWhileTheTargetAppIsUnhealthy() throws Exception {
    Files.writeString(
        resources.resolve("config.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: health\n"
            + "spec:\n  nameResolution:\n    component: local\n    configuration:\n"
            + "      directory: "
            + resources.resolve("registry")
            + "\n");
    AtomicBoolean healthy = new AtomicBoolean(true);
    AtomicInteger pings = new AtomicInteger();
    HttpServer app =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext(
        "/healthz",
        exchange -> {
          exchange.sendResponseHeaders(healthy.get() ? 200 : 500, -1);
          exchange.close();
        });
    app.createContext(
        "/ping",
        exchange -> {
          pings.incrementAndGet();
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    app.start();
    HttpClient http = HttpClient.newHttpClient();
    try (PillionServer target =
            PillionServer.builder()
                .runtime(runtime("health-target"))
                .closeRuntime(true)
                .httpPort(0)
                .grpcPort(0)
                .appPort(app.getAddress().getPort())
                .appHealthCheck(true)
                .appHealthProbeInterval(Duration.ofMillis(50))
                .appHealthThreshold(1)
                .build()
                .start();
        PillionServer caller =
            PillionServer.builder()
                .runtime(runtime("health-caller"))
                .closeRuntime(true)
                .httpPort(0)
                .grpcPort(0)
                .build()
                .start()) {
      URI ping =
          URI.create(
              "http://127.0.0.1:" + caller.httpPort() + "/v1.0/invoke/health-target/method/ping");
      awaitStatus(http, ping, 200);
      assertThat(pings.get()).isPositive();

      healthy.set(false);
      HttpResponse<String> refused = awaitStatus(http, ping, 500);
      int pingsWhenRefused = pings.get();
      JsonNode error = JSON.readTree(refused.body());
      assertThat(error.path("errorCode").asText()).isEqualTo("ERR_DIRECT_INVOKE");
      assertThat(error.path("message").asText())
          .startsWith("failed to invoke, id: health-target, err: ")
          .contains("INTERNAL")
          .contains("app is not in a healthy state");
      send(http, ping);
      assertThat(pings.get()).as("the unhealthy app is not called").isEqualTo(pingsWhenRefused);

      healthy.set(true);
      awaitStatus(http, ping, 200);
    } finally {
      app.stop(0);
    }
  }

  private Pillion runtime(String appId) {
    return Pillion.builder()
        .appId(appId)
        .resourcesPath(resources)
        .inProcessInvocation(false)
        .build();
  }

  private static HttpResponse<String> send(HttpClient http, URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> awaitStatus(HttpClient http, URI uri, int status)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      HttpResponse<String> response = send(http, uri);
      if (response.statusCode() == status || System.nanoTime() > deadline) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return response;
      }
      Thread.sleep(20);
    }
  }
}
