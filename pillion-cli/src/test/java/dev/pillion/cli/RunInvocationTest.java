package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import dev.pillion.server.PillionServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code pillion run} process is found by app id through the same-machine registry its resources
 * select and invoked from a runtime of another process over Dapr's internal protocol, on the
 * internal port given with {@code --dapr-internal-grpc-port}; once it exits, it is no longer found.
 */
class RunInvocationTest {
  private static final Pattern READY =
      Pattern.compile("pillion ready: app-id \\S+, http (\\d+), grpc (\\d+), internal grpc (\\d+)");

  @TempDir Path dir;

  @Test
  void aPillionRunAppIsInvokedFromAnotherProcessByAppId() throws Exception {
    Path resources = Files.createDirectories(dir.resolve("resources"));
    Files.writeString(
        resources.resolve("config.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: registry\nspec:\n"
            + "  nameResolution:\n    component: local\n    configuration:\n      directory: "
            + dir.resolve("registry")
            + "\n");
    HttpServer app =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext(
        "/",
        exchange -> {
          byte[] answer =
              ("served " + exchange.getRequestMethod() + " " + exchange.getRequestURI())
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, answer.length);
          exchange.getResponseBody().write(answer);
          exchange.close();
        });
    app.start();
    int internalPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      internalPort = socket.getLocalPort();
    }
    Path log = dir.resolve("callee.log");
    List<String> command =
        List.of(
            ProcessHandle.current().info().command().orElse("java"),
            "-cp",
            System.getProperty("java.class.path"),
            PillionCli.class.getName(),
            "run",
            "--app-id",
            "cli-callee",
            "--app-port",
            Integer.toString(app.getAddress().getPort()),
            "--resources-path",
            resources.toString(),
            "--dapr-internal-grpc-port",
            Integer.toString(internalPort));
    Process callee =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try (Pillion runtime = Pillion.builder().appId("cli-caller").resourcesPath(resources).build();
        PillionServer caller =
            PillionServer.builder().runtime(runtime).httpPort(0).grpcPort(0).build().start()) {
      Matcher ready = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (ready == null && callee.isAlive() && System.nanoTime() < deadline) {
        Matcher matcher = READY.matcher(Files.readString(log));
        if (matcher.find()) {
          ready = matcher;
        } else {
          Thread.sleep(50);
        }
      }
      assertThat(ready).as(Files.readString(log)).isNotNull();
      assertThat(Integer.parseInt(ready.group(3))).isEqualTo(internalPort);

      HttpClient http = HttpClient.newHttpClient();
      URI uri =
          URI.create(
              "http://127.0.0.1:" + caller.httpPort() + "/v1.0/invoke/cli-callee/method/hello?x=1");
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.body()).isEqualTo("served GET /hello?x=1");

      callee.destroy();
      assertThat(callee.waitFor(60, TimeUnit.SECONDS)).isTrue();
      HttpResponse<String> gone =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(gone.statusCode()).isEqualTo(500);
      assertThat(gone.body()).contains("ERR_DIRECT_INVOKE", "cli-callee");
    } finally {
      callee.destroyForcibly();
      app.stop(0);
    }
  }
}
