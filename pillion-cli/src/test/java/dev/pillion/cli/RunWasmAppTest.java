package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.testing.TestGuests;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code pillion run} hosting Wasm apps: one given with {@code --app-wasm}, for which the Dapr APIs
 * act, and several declared as {@code kind: App} in the resources.
 */
class RunWasmAppTest {
  private static final Pattern READY =
      Pattern.compile("pillion ready: app-id \\S+, http (\\d+), .*, wasm apps \\[(.*)\\]");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;

  private record Running(StringWriter out, StringWriter err, CompletableFuture<Integer> exit) {}

  private static Running start(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = PillionCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                exit.complete(cli.execute(args));
              } catch (Throwable t) {
                exit.completeExceptionally(t);
              }
            },
            "pillion-run-wasm-under-test");
    thread.setDaemon(true);
    thread.start();
    return new Running(out, err, exit);
  }

  private static Matcher awaitReady(Running running) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline && !running.exit().isDone()) {
      Matcher ready = READY.matcher(running.out().toString());
      if (ready.find()) {
        return ready;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no ready line; out: " + running.out() + "\nerr: " + running.err());
  }

  private static HttpResponse<String> send(int port, String method, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int stop(Running running, int httpPort) throws Exception {
    send(httpPort, "POST", "/v1.0/shutdown");
    return running.exit().get(60, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void theDaprApisActForTheWasmAppGivenOnTheCommandLine() throws Exception {
    int appPort = freePort();
    Running running =
        start(
            "run",
            "--app-id",
            "orders",
            "--app-wasm",
            TestGuests.path("app-contract").toString(),
            "--app-port",
            Integer.toString(appPort));
    Matcher ready = awaitReady(running);
    int http = Integer.parseInt(ready.group(1));
    assertThat(ready.group(2)).isEqualTo("orders (http " + appPort + ")");

    // The app's own routes on its port.
    assertThat(send(appPort, "POST", "/echo").statusCode()).isEqualTo(200);
    // Invoked through the Dapr API, in-process; the app counts in the state store, where the
    // Dapr API (acting for the same app) reads it back under the same key.
    HttpResponse<String> counted = send(http, "POST", "/v1.0/invoke/orders/method/count");
    assertThat(counted.statusCode()).as(counted.body()).isEqualTo(200);
    assertThat(counted.body()).isEqualTo("1");
    HttpResponse<String> state = send(http, "GET", "/v1.0/state/statestore/counter");
    assertThat(state.body()).isEqualTo("1");
    HttpResponse<String> metadata = send(http, "GET", "/v1.0/metadata");
    assertThat(metadata.body()).contains("\"id\":\"orders\"").contains("\"hostedApps\":\"orders\"");

    assertThat(stop(running, http)).isZero();
  }

  @Test
  void appsDeclaredInTheResourcesAreHostedTogether() throws Exception {
    Path resources = Files.createDirectories(dir.resolve("resources"));
    Path module = Files.copy(TestGuests.path("app-contract"), resources.resolve("app.wasm"));
    for (String app : new String[] {"billing", "shipping"}) {
      Files.writeString(
          resources.resolve(app + ".yaml"),
          "apiVersion: pillion.dev/v1alpha1\nkind: App\nmetadata:\n  name: "
              + app
              + "\nspec:\n  module: "
              + module.getFileName()
              + "\n  limits:\n    instances: 2\n");
    }
    Files.writeString(
        resources.resolve("statestore.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\n"
            + "spec:\n  type: state.in-memory\n  version: v1\n");
    Running running = start("run", "--app-id", "gateway", "--resources-path", resources.toString());
    Matcher ready = awaitReady(running);
    int http = Integer.parseInt(ready.group(1));
    assertThat(ready.group(2)).isEqualTo("billing, shipping");

    assertThat(send(http, "POST", "/v1.0/invoke/billing/method/count").body()).isEqualTo("1");
    assertThat(send(http, "POST", "/v1.0/invoke/billing/method/count").body()).isEqualTo("2");
    assertThat(send(http, "POST", "/v1.0/invoke/shipping/method/count").body())
        .as("each app counts in its own key space")
        .isEqualTo("1");
    assertThat(send(http, "GET", "/v1.0/metadata").body())
        .contains("\"hostedApps\":\"billing,shipping\"");
    assertThat(stop(running, http)).isZero();
  }

  @Test
  void aWasmAppWithACommandOrWithoutItsFileIsAUsageError() {
    StringWriter err = new StringWriter();
    CommandLine cli = PillionCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    int both =
        cli.execute(
            "run",
            "--app-id",
            "a",
            "--app-wasm",
            TestGuests.path("app-contract").toString(),
            "--",
            "true");
    assertThat(both).isEqualTo(2);
    assertThat(err.toString()).contains("either --app-wasm or a command");
    int missing = cli.execute("run", "--app-id", "a", "--app-wasm", "/no/such/app.wasm");
    assertThat(missing).isEqualTo(2);
    assertThat(err.toString()).contains("/no/such/app.wasm");
  }
}
