package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** daprd's app health flags in {@code pillion run}: spellings, defaults and usage errors. */
class AppHealthFlagsTest {

  private static RunCommand parse(String... args) {
    CommandLine.ParseResult result = PillionCli.commandLine().parseArgs(args);
    return (RunCommand) result.subcommand().commandSpec().userObject();
  }

  private static String usageError(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = PillionCli.commandLine();
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setErr(new PrintWriter(err, true));
    assertThat(cli.execute(args)).isEqualTo(2);
    return err.toString();
  }

  @Test
  void theFlagsParseAsDaprdSpellsThem() {
    RunCommand run =
        parse(
            "run",
            "--app-id",
            "x",
            "--app-port",
            "3000",
            "--enable-app-health-check",
            "--app-health-check-path",
            "/ready",
            "--app-health-probe-interval",
            "2s",
            "--app-health-probe-timeout",
            "250ms",
            "--app-health-threshold",
            "5");
    assertThat(run.appHealthCheck).isTrue();
    assertThat(run.appHealthCheckPath).isEqualTo("/ready");
    assertThat(run.appHealthProbeInterval).isEqualTo(Duration.ofSeconds(2));
    assertThat(run.appHealthProbeTimeout).isEqualTo(Duration.ofMillis(250));
    assertThat(run.appHealthThreshold).isEqualTo(5);

    assertThat(parse("run", "--app-id", "x", "--enable-app-health-check=true").appHealthCheck)
        .isTrue();
    assertThat(parse("run", "--app-id", "x", "--enable-app-health-check=false").appHealthCheck)
        .isFalse();
  }

  @Test
  void theDefaultsAreDaprds() {
    RunCommand run = parse("run", "--app-id", "x");
    assertThat(run.appHealthCheck).isFalse();
    assertThat(run.appHealthCheckPath).isEqualTo("/healthz");
    assertThat(run.appHealthProbeInterval).isEqualTo(Duration.ofSeconds(5));
    assertThat(run.appHealthProbeTimeout).isEqualTo(Duration.ofMillis(500));
    assertThat(run.appHealthThreshold).isEqualTo(3);
  }

  @Test
  void badValuesAreUsageErrorsNamingTheFlag() {
    assertThat(usageError("run", "--app-id", "x", "--app-health-threshold", "0"))
        .contains("--app-health-threshold must be at least 1, got 0");
    assertThat(usageError("run", "--app-id", "x", "--app-health-check-path", "healthz"))
        .contains("--app-health-check-path must start with '/'");
    assertThat(usageError("run", "--app-id", "x", "--app-health-probe-interval", "0"))
        .contains("--app-health-probe-interval must be positive");
    assertThat(usageError("run", "--app-id", "x", "--app-health-probe-timeout", "soon"))
        .contains("--app-health-probe-timeout", "is not a duration");
    assertThat(usageError("run", "--app-id", "x", "--enable-app-health-check"))
        .contains("--enable-app-health-check needs the application's --app-port");
  }

  @Test
  void pillionRunChecksTheAppWithTheFlagsGiven() throws Exception {
    HttpServer app =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext(
        "/dapr/subscribe",
        exchange -> {
          byte[] none = "[]".getBytes(java.nio.charset.StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, none.length);
          exchange.getResponseBody().write(none);
          exchange.close();
        });
    app.createContext(
        "/up",
        exchange -> {
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    app.start();
    int httpPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      httpPort = socket.getLocalPort();
    }
    CommandLine cli = PillionCli.commandLine();
    cli.setOut(new PrintWriter(new StringWriter(), true));
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err, true));
    String[] args = {
      "run",
      "--app-id",
      "health-flags",
      "-H",
      Integer.toString(httpPort),
      "-G",
      "0",
      "--app-port",
      Integer.toString(app.getAddress().getPort()),
      "--enable-app-health-check",
      "--app-health-check-path",
      "/up",
      "--app-health-probe-interval",
      "1s",
      "--app-health-probe-timeout",
      "300ms",
      "--app-health-threshold",
      "4"
    };
    CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> cli.execute(args));
    HttpClient http = HttpClient.newHttpClient();
    URI metadata = URI.create("http://127.0.0.1:" + httpPort + "/v1.0/metadata");
    try {
      JsonNode body = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline && !exit.isDone()) {
        try {
          body =
              new ObjectMapper()
                  .readTree(
                      http.send(
                              HttpRequest.newBuilder(metadata).build(),
                              HttpResponse.BodyHandlers.ofString())
                          .body());
          if (body.path("extended").path("appHealth").asText().equals("healthy")) {
            break;
          }
        } catch (java.io.IOException notYet) {
          // Not listening yet.
        }
        Thread.sleep(50);
      }
      assertThat(body).as("metadata; stderr: %s", err).isNotNull();
      assertThat(body.path("extended").path("appHealth").asText()).isEqualTo("healthy");
      JsonNode health = body.path("appConnectionProperties").path("health");
      assertThat(health.path("healthCheckPath").asText()).isEqualTo("/up");
      assertThat(health.path("healthProbeInterval").asText()).isEqualTo("1s");
      assertThat(health.path("healthProbeTimeout").asText()).isEqualTo("300ms");
      assertThat(health.path("healthThreshold").asInt()).isEqualTo(4);
    } finally {
      http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1.0/shutdown"))
              .POST(HttpRequest.BodyPublishers.noBody())
              .build(),
          HttpResponse.BodyHandlers.discarding());
      exit.get(60, TimeUnit.SECONDS);
      app.stop(0);
    }
  }
}
