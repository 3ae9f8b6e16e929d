package dev.pillion.cli;

import dev.pillion.Pillion;
import dev.pillion.abi.PillionException;
import dev.pillion.components.ComponentDefinition;
import dev.pillion.server.PillionServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pillion run}: like {@code dapr run}, with the runtime in this process instead of a daprd
 * sidecar.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Starts the Dapr API (HTTP and gRPC) with the components of a resources folder, then, if given, runs the"
          + " application command with DAPR_HTTP_PORT, DAPR_GRPC_PORT and APP_ID in its environment. The runtime"
          + " stops when the application exits; the exit code is the application's.",
      "Without --resources-path, a default in-memory state store named 'statestore' is loaded."
    })
final class RunCommand implements Callable<Integer> {
  private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(30);

  @Spec CommandSpec spec;

  @Option(
      names = {"-a", "--app-id"},
      required = true,
      description = "The application's id.")
  String appId;

  @Option(
      names = {"-d", "--resources-path"},
      description = "A folder of Dapr resource YAML files (repeatable).")
  List<Path> resourcesPaths = new ArrayList<>();

  @Option(
      names = {"-H", "--dapr-http-port"},
      defaultValue = "3500",
      description = "HTTP API port (default ${DEFAULT-VALUE}; 0 picks a free one).")
  int httpPort;

  @Option(
      names = {"-G", "--dapr-grpc-port"},
      defaultValue = "50001",
      description = "gRPC API port (default ${DEFAULT-VALUE}; 0 picks a free one).")
  int grpcPort;

  @Option(
      names = {"-p", "--app-port"},
      description = "The port the application listens on (passed as APP_PORT).")
  Integer appPort;

  @Option(
      names = "--dapr-listen-addresses",
      defaultValue = "127.0.0.1",
      description = "The address the APIs bind to (default ${DEFAULT-VALUE}).")
  String bindAddress;

  @Option(
      names = "--max-body-size",
      defaultValue = "4194304",
      description = "Largest request body in bytes (default ${DEFAULT-VALUE}).")
  int maxBodyBytes;

  @Parameters(
      arity = "0..*",
      paramLabel = "COMMAND",
      description = "The application to run, after --.")
  List<String> command = new ArrayList<>();

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  private PrintWriter err() {
    return spec.commandLine().getErr();
  }

  @Override
  public Integer call() throws Exception {
    String token = System.getenv("DAPR_API_TOKEN");
    PillionServer server;
    try {
      server = startServer(token);
    } catch (PillionException | IllegalArgumentException e) {
      err().println("✗ Pillion failed to start: " + e.getMessage());
      err().flush();
      return PillionCli.EXIT_RUNTIME;
    }
    try {
      if (!waitHealthy(server, token)) {
        err()
            .println(
                "✗ the Dapr API did not become healthy within "
                    + HEALTH_TIMEOUT.toSeconds()
                    + " s");
        return PillionCli.EXIT_RUNTIME;
      }
      out()
          .printf(
              "✓ Pillion is up: app id '%s', HTTP port %d, gRPC port %d, components %s%n",
              appId, server.httpPort(), server.grpcPort(), server.runtime().stateStoreNames());
      out().flush();
      if (command.isEmpty()) {
        Thread hook = new Thread(server::close, "pillion-signal");
        Runtime.getRuntime().addShutdownHook(hook);
        server.awaitShutdown();
        removeHook(hook);
        out().println("✓ Pillion stopped");
        return 0;
      }
      return runApplication(server, token);
    } finally {
      server.close();
      out().flush();
      err().flush();
    }
  }

  private PillionServer startServer(String token) {
    Pillion.Builder runtime = Pillion.builder().appId(appId);
    if (resourcesPaths.isEmpty()) {
      runtime.component(
          ComponentDefinition.builder("statestore", "state.in-memory")
              .origin("default components")
              .build());
    }
    resourcesPaths.forEach(runtime::resourcesPath);
    Pillion built = runtime.build();
    PillionServer.Builder server =
        PillionServer.builder()
            .runtime(built)
            .closeRuntime(true)
            .bindAddress(bindAddress)
            .httpPort(httpPort)
            .grpcPort(grpcPort)
            .maxBodyBytes(maxBodyBytes);
    if (token != null && !token.isEmpty()) {
      server.apiToken(token);
    }
    if (appPort != null) {
      server.appPort(appPort);
    }
    try {
      return server.build().start();
    } catch (RuntimeException e) {
      built.close();
      throw e;
    }
  }

  private boolean waitHealthy(PillionServer server, String token) throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    String host = bindAddress.equals("0.0.0.0") ? "127.0.0.1" : bindAddress;
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create("http://" + host + ":" + server.httpPort() + "/v1.0/healthz"))
            .timeout(Duration.ofSeconds(2));
    if (token != null && !token.isEmpty()) {
      request.header("dapr-api-token", token);
    }
    long deadline = System.nanoTime() + HEALTH_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode()
            == 204) {
          return true;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(50);
    }
    return false;
  }

  private int runApplication(PillionServer server, String token) throws InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    Map<String, String> env = builder.environment();
    env.put("DAPR_HTTP_PORT", Integer.toString(server.httpPort()));
    env.put("DAPR_GRPC_PORT", Integer.toString(server.grpcPort()));
    env.put("APP_ID", appId);
    if (appPort != null) {
      env.put("APP_PORT", Integer.toString(appPort));
    }
    if (token != null && !token.isEmpty()) {
      env.put("DAPR_API_TOKEN", token);
    }
    Process app;
    try {
      app = builder.start();
    } catch (IOException e) {
      err().println("✗ cannot start the application " + command + ": " + e.getMessage());
      return PillionCli.EXIT_RUNTIME;
    }
    out()
        .println("✓ started the application (pid " + app.pid() + "): " + String.join(" ", command));
    out().flush();
    // A signal to this process goes on to the application (SIGTERM, then SIGKILL after 5 s), then
    // the runtime stops.
    Thread forward =
        new Thread(
            () -> {
              if (app.isAlive()) {
                app.destroy();
                try {
                  if (!app.waitFor(5, TimeUnit.SECONDS)) {
                    app.destroyForcibly();
                  }
                } catch (InterruptedException e) {
                  app.destroyForcibly();
                }
              }
              server.close();
            },
            "pillion-signal");
    Runtime.getRuntime().addShutdownHook(forward);
    int exit = app.waitFor();
    removeHook(forward);
    out().println("✓ the application exited with code " + exit + "; stopping Pillion");
    return exit;
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook is running and will finish the job.
    }
  }
}
