package dev.pillion.server.apps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.testing.TestGuests;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hosted apps are sandboxed: a handler that loops, traps or grows its memory fails that request
 * only, and the app (and the other app) keep serving; an app sees only the environment and files
 * its manifest grants. Also its triggers: HTTP requests with their verb, query and headers, and
 * events of its subscriptions with RETRY and DROP.
 */
class WasmAppSandboxTest {
  private static Pillion runtime;
  private static WasmAppHost host;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    runtime =
        Pillion.builder()
            .appId("host")
            .hostedApps(List.of("sandboxed", "neighbour", "minimal"))
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    host =
        WasmAppHost.start(
            runtime,
            List.of(
                AppManifest.builder("sandboxed", TestGuests.path("app-contract"))
                    .httpPort(0)
                    .instances(2)
                    .callTimeout(Duration.ofSeconds(1))
                    .maxMemoryPages(160)
                    .environmentVariable("GREETING", "hello")
                    .build(),
                AppManifest.builder("neighbour", TestGuests.path("app-contract"))
                    .httpPort(0)
                    .build(),
                AppManifest.builder("minimal", TestGuests.path("minimal-app")).httpPort(0).build()),
            "127.0.0.1");
  }

  @AfterAll
  static void stop() {
    host.close();
    runtime.close();
  }

  private static HttpResponse<String> send(String app, String method, String path)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + host.httpPort(app).orElseThrow() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void stillServes(String app) throws Exception {
    assertThat(send(app, "POST", "/count").statusCode()).as(app + " still serves").isEqualTo(200);
  }

  @Test
  void aHandlerThatLoopsFailsAtItsTimeoutAndTheAppKeepsServing() throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> looping = send("sandboxed", "POST", "/loop");
    assertThat(looping.statusCode()).isEqualTo(500);
    assertThat(looping.body()).contains("sandboxed");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    stillServes("sandboxed");
    stillServes("neighbour");
  }

  @Test
  void aTrapAndMemoryGrowthFailTheRequestOnly() throws Exception {
    int discarded = host.app("sandboxed").orElseThrow().discardedInstances();
    assertThat(send("sandboxed", "POST", "/trap").statusCode()).isEqualTo(500);
    assertThat(send("sandboxed", "POST", "/grow").statusCode()).isEqualTo(500);
    assertThat(host.app("sandboxed").orElseThrow().discardedInstances())
        .as("each failed instance is discarded")
        .isGreaterThanOrEqualTo(discarded + 2);
    stillServes("sandboxed");
    stillServes("neighbour");
  }

  @Test
  void aMinimalCAppWithoutAVersionExportIsServed() throws Exception {
    HttpResponse<String> empty = send("minimal", "GET", "/anything");
    assertThat(empty.statusCode()).as("status 0 reads as 200").isEqualTo(200);
    assertThat(empty.body()).isEmpty();
    HttpResponse<String> teapot = send("minimal", "POST", "/teapot");
    assertThat(teapot.statusCode()).isEqualTo(418);
    assertThat(teapot.body()).isEqualTo("short and stout");
    assertThat(
            runtime
                .invoke("minimal", dev.pillion.invoke.InvocationRequest.builder("teapot").build())
                .status())
        .isEqualTo(418);
    assertThat(
            runtime
                .invoke("minimal", dev.pillion.invoke.InvocationRequest.builder("other").build())
                .status())
        .as("no status set reads as 200 through invocation too")
        .isEqualTo(200);
  }

  @Test
  void anErrorAnswerPassesThroughWithItsStatus() throws Exception {
    HttpResponse<String> failed = send("sandboxed", "POST", "/fail");
    assertThat(failed.statusCode()).isEqualTo(500);
    assertThat(failed.body()).contains("failed on purpose");
    assertThat(send("sandboxed", "GET", "/no-such-route").statusCode()).isEqualTo(404);
  }

  @Test
  void anAppSeesOnlyTheEnvironmentAndFilesItIsGranted() throws Exception {
    HttpResponse<String> granted = send("sandboxed", "GET", "/env/GREETING");
    assertThat(granted.statusCode()).isEqualTo(200);
    assertThat(granted.body()).isEqualTo("hello");
    assertThat(send("sandboxed", "GET", "/env/PATH").statusCode()).isEqualTo(404);
    assertThat(send("neighbour", "GET", "/env/GREETING").statusCode()).isEqualTo(404);
    HttpResponse<String> file = send("sandboxed", "GET", "/file?path=/etc/passwd");
    assertThat(file.statusCode()).isEqualTo(403);
  }

  @Test
  void httpRequestsReachTheHandlerWithVerbQueryHeadersAndBody() throws Exception {
    HttpResponse<String> echo =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + host.httpPort("neighbour").orElseThrow()
                            + "/echo?a=1&b=two"))
                .header("x-test", "seen")
                .header("content-type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofString("body"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(echo.statusCode()).isEqualTo(200);
    assertThat(echo.body()).isEqualTo("body");
    assertThat(echo.headers().firstValue("x-verb")).contains("PUT");
    assertThat(echo.headers().firstValue("x-query")).contains("a=1&b=two");
    assertThat(echo.headers().firstValue("x-seen")).contains("seen");
    assertThat(echo.headers().firstValue("content-type")).contains("text/plain");
  }

  @Test
  void eventsAreDeliveredRetriedAndDroppedPerApp() throws Exception {
    Pillion neighbour = host.app("neighbour").orElseThrow().runtime();
    long before = count(neighbour, "events");
    runtime
        .pubsub("pubsub")
        .publish(
            PublishRequest.builder("orders", "\"an order\"")
                .contentType("application/json")
                .build());
    runtime
        .pubsub("pubsub")
        .publish(
            PublishRequest.builder("orders", "\"drop\"").contentType("application/json").build());
    runtime
        .pubsub("pubsub")
        .publish(
            PublishRequest.builder("orders", "\"retry\"").contentType("application/json").build());
    // Each app has its own subscription (its app id is its consumer group): both count both
    // handled events, each in its own key space; the dropped one is counted by neither.
    awaitValue(() -> count(neighbour, "events"), before + 2);
    Pillion sandboxed = host.app("sandboxed").orElseThrow().runtime();
    awaitValue(() -> count(sandboxed, "events"), before + 2);
  }

  private static long count(Pillion app, String key) {
    Optional<String> value =
        app.state("statestore")
            .get(key)
            .map(item -> new String(item.value(), StandardCharsets.UTF_8));
    return value.map(Long::parseLong).orElse(0L);
  }

  private static void awaitValue(Supplier<Long> value, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (value.get() < expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(value.get()).isEqualTo(expected);
  }
}
