package dev.pillion.cli;

import dev.pillion.Pillion;
import dev.pillion.abi.PillionException;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.server.AppProtocol;
import dev.pillion.server.HttpLimits;
import dev.pillion.server.PillionServer;
import dev.pillion.server.apps.AppManifest;
import dev.pillion.server.apps.WasmApp;
import dev.pillion.server.apps.WasmAppHost;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
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
          + " application command with DAPR_HTTP_PORT, DAPR_GRPC_PORT, APP_ID and APP_PROTOCOL in its"
          + " environment. The runtime stops when the application exits; the exit code is the application's,"
          + " also when pillion is stopped by SIGTERM or SIGINT (they are forwarded to the application).",
      "Without --resources-path, the defaults of `dapr init` are loaded in memory: state store 'statestore' and pub/sub 'pubsub'. Without"
          + " --dapr-http-port and --dapr-grpc-port, free ports are chosen (printed in the ready line), so"
          + " several pillion run can run side by side, as with dapr run.",
      "Flags are dapr run's, with its short forms; a dapr run flag Pillion does not implement is refused"
          + " as an unknown option."
    })
final class RunCommand implements Callable<Integer> {
  private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(30);

  @Spec CommandSpec spec;

  /** Set while {@link #call()} runs. */
  private ConsoleLog console;

  /** The Wasm apps this runtime hosts, once started. */
  private WasmAppHost hosted;

  @Option(
      names = {"-a", "--app-id"},
      required = true,
      description = "The application's id.")
  String appId;

  @Option(
      names = {"--resources-path", "-d", "--components-path"},
      split = ",",
      paramLabel = "DIR",
      description =
          "A folder of Dapr resource YAML files (repeatable, or comma-separated; -d and"
              + " --components-path are dapr run's older names).")
  List<Path> resourcesPaths = new ArrayList<>();

  @Option(
      names = "--app-wasm",
      paramLabel = "FILE",
      description =
          "Host the application as a Wasm module (docs/abi.md, \"Wasm apps\") inside this runtime,"
              + " under --app-id: its HTTP routes are served on --app-port (default: a free port,"
              + " printed in the ready line), and the Dapr APIs act for it. Apps declared as"
              + " kind: App in the resources are hosted too.")
  Path appWasm;

  @Option(
      names = {"-H", "--dapr-http-port"},
      paramLabel = "PORT",
      description =
          "HTTP API port (default: a free port, printed in the ready line; -1 or 0 likewise).")
  Integer httpPort;

  @Option(
      names = {"-G", "--dapr-grpc-port"},
      paramLabel = "PORT",
      description =
          "gRPC API port (default: a free port, printed in the ready line; -1 or 0 likewise).")
  Integer grpcPort;

  @Option(
      names = {"-I", "--dapr-internal-grpc-port"},
      paramLabel = "PORT",
      description =
          "Port of the internal endpoint other runtimes invoke this app through (default: a free"
              + " port, announced through name resolution; -1 or 0 likewise).")
  Integer internalGrpcPort;

  @Option(
      names = {"-P", "--app-protocol"},
      paramLabel = "PROTOCOL",
      defaultValue = "http",
      description =
          "How Pillion talks to the application: http (default) or grpc, where the app serves"
              + " Dapr's AppCallback service; dapr run's grpcs, https and h2c are refused.")
  String appProtocol;

  @Option(
      names = "--app-max-concurrency",
      paramLabel = "N",
      description =
          "The most calls Pillion makes into the application at once (event deliveries of all its"
              + " subscriptions together; default -1, unlimited).")
  Integer appMaxConcurrency;

  @Option(
      names = "--enable-app-health-check",
      arity = "0..1",
      description =
          "Probe the application's health (needs --app-port). While it is unhealthy its"
              + " subscriptions pause (messages stay in the broker) and invocations of it fail at"
              + " once with ERR_DIRECT_INVOKE 'app is not in a healthy state'.")
  boolean appHealthCheck;

  @Option(
      names = "--app-health-check-path",
      paramLabel = "PATH",
      defaultValue = "/healthz",
      description =
          "The path the health probe GETs on the application; a 2xx answer is healthy (default"
              + " ${DEFAULT-VALUE}).")
  String appHealthCheckPath;

  @Option(
      names = "--app-health-probe-interval",
      paramLabel = "DURATION",
      converter = CliValues.GoDuration.class,
      defaultValue = "5s",
      description = "The time between health probes (default ${DEFAULT-VALUE}).")
  Duration appHealthProbeInterval;

  @Option(
      names = "--app-health-probe-timeout",
      paramLabel = "DURATION",
      converter = CliValues.GoDuration.class,
      defaultValue = "500ms",
      description = "How long one health probe may take (default ${DEFAULT-VALUE}).")
  Duration appHealthProbeTimeout;

  @Option(
      names = "--app-health-threshold",
      paramLabel = "N",
      defaultValue = "3",
      description =
          "How many consecutive failed probes make the application unhealthy; one success makes"
              + " it healthy again (default ${DEFAULT-VALUE}).")
  int appHealthThreshold;

  @Option(
      names = "--log-level",
      paramLabel = "LEVEL",
      defaultValue = "info",
      description =
          "The runtime's log verbosity: debug, info, warn or error (default ${DEFAULT-VALUE})."
              + " Stack traces are printed only at debug.")
  LogLevel logLevel;

  @Option(
      names = "--enable-api-logging",
      arity = "0..1",
      fallbackValue = "true",
      paramLabel = "BOOLEAN",
      description =
          "Logs every call to the HTTP and gRPC APIs (method and path or gRPC method, status,"
              + " duration), whatever the log level.")
  boolean apiLogging;

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
      paramLabel = "SIZE",
      converter = CliValues.Bytes.class,
      description =
          "Largest request body of the HTTP and gRPC APIs, as daprd's: bytes or a quantity such as"
              + " 512Ki or 4Mi (default 4Mi). A larger HTTP body is answered 413.")
  Integer maxBodySize;

  @Option(
      names = "--dapr-http-max-request-size",
      paramLabel = "MB",
      description =
          "Largest request body in MB, as dapr run's flag of that name (instead of"
              + " --max-body-size).")
  Integer maxRequestSizeMb;

  @Option(
      names = "--read-buffer-size",
      paramLabel = "SIZE",
      converter = CliValues.Bytes.class,
      description =
          "As daprd's: the HTTP request line and the request headers may each be up to this plus"
              + " 4 KiB (default 4Ki); a longer line is answered 414, larger headers 431.")
  Integer readBufferSize;

  @Option(
      names = "--dapr-http-read-buffer-size",
      paramLabel = "KB",
      description =
          "The read buffer size in KB, as dapr run's flag of that name (instead of"
              + " --read-buffer-size).")
  Integer readBufferSizeKb;

  @Option(
      names = "--dapr-http-read-timeout",
      paramLabel = "DURATION",
      converter = CliValues.GoDuration.class,
      defaultValue = "60s",
      description =
          "How long an HTTP request may take to arrive completely, from its first byte to the end"
              + " of its body (default ${DEFAULT-VALUE}; 0 disables). A request still incomplete"
              + " then is answered 408 and its connection closed.")
  Duration readTimeout;

  @Option(
      names = "--dapr-http-idle-timeout",
      paramLabel = "DURATION",
      converter = CliValues.GoDuration.class,
      defaultValue = "5m",
      description =
          "How long an HTTP connection may stay open with no request in progress before it is"
              + " closed (default ${DEFAULT-VALUE}; 0 disables).")
  Duration idleTimeout;

  @Option(
      names = "--dapr-http-max-connections",
      paramLabel = "N",
      description =
          "Most HTTP connections open at once; a connection past it is closed as soon as it is"
              + " accepted, and the open ones keep working (default 4096, or half the process's"
              + " file descriptor limit when lower; 0 for no cap).")
  Integer maxConnections;

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
    checkOptions();
    try (ConsoleLog log = ConsoleLog.install(out(), err(), logLevel, apiLogging)) {
      console = log;
      return serve();
    } finally {
      out().flush();
      err().flush();
    }
  }

  private int serve() throws InterruptedException {
    String token = System.getenv("DAPR_API_TOKEN");
    console.status(
        "pillion starting: app-id "
            + appId
            + ", loading "
            + (resourcesPaths.isEmpty()
                ? "the default components statestore (state.in-memory) and pubsub (pubsub.in-memory)"
                : "the components of " + resourcesPaths));
    PillionServer server;
    try {
      server = startServer(token);
    } catch (PillionException | IllegalArgumentException | IllegalStateException e) {
      console.failure("Pillion failed to start: " + e.getMessage());
      return PillionCli.EXIT_RUNTIME;
    }
    try {
      if (!waitHealthy(server, token)) {
        console.failure(
            "the Dapr API did not become healthy within " + HEALTH_TIMEOUT.toSeconds() + " s");
        return PillionCli.EXIT_RUNTIME;
      }
      // What the dapr CLI records in the extended metadata for `dapr list` and `dapr stop`.
      server.setMetadata("cliPID", Long.toString(ProcessHandle.current().pid()));
      // Each announces readiness once its signal handling is in place, so a script that stops
      // pillion as soon as it reads the ready line gets the graceful stop.
      if (command.isEmpty()) {
        return serveUntilStopped(server, readyLine(server));
      }
      return runApplication(server, token, readyLine(server));
    } finally {
      server.close();
    }
  }

  /** The line scripts wait for: the ports actually bound and every loaded component. */
  private String readyLine(PillionServer server) {
    return "pillion ready: app-id "
        + appId
        + ", http "
        + server.httpPort()
        + ", grpc "
        + server.grpcPort()
        + ", internal grpc "
        + server.internalGrpcPort()
        + ", components ["
        + server.runtime().components().stream()
            .map(component -> component.name() + " (" + component.type() + ")")
            .collect(Collectors.joining(", "))
        + "]"
        + (hosted == null || hosted.apps().isEmpty()
            ? ""
            : ", wasm apps ["
                + hosted.apps().stream()
                    .map(
                        app ->
                            app.appId()
                                + hosted.httpPort(app.appId()).stream()
                                    .mapToObj(port -> " (http " + port + ")")
                                    .findFirst()
                                    .orElse(""))
                    .collect(Collectors.joining(", "))
                + "]");
  }

  /** Usage errors (exit code 2), found before anything starts. */
  private void checkOptions() {
    checkAppProtocol();
    checkPort("--dapr-http-port", httpPort);
    checkPort("--dapr-grpc-port", grpcPort);
    checkPort("--dapr-internal-grpc-port", internalGrpcPort);
    if (appMaxConcurrency != null && appMaxConcurrency != -1 && appMaxConcurrency < 1) {
      throw new ParameterException(
          spec.commandLine(),
          "--app-max-concurrency must be -1 (unlimited) or at least 1, got " + appMaxConcurrency);
    }
    checkAppHealthOptions();
    checkWasmAppOptions();
    if (maxBodySize != null && maxRequestSizeMb != null) {
      throw new ParameterException(
          spec.commandLine(),
          "give the body size limit once: --max-body-size or --dapr-http-max-request-size");
    }
    if (readBufferSize != null && readBufferSizeKb != null) {
      throw new ParameterException(
          spec.commandLine(),
          "give the read buffer size once: --read-buffer-size or --dapr-http-read-buffer-size");
    }
    if (maxRequestSizeMb != null && (maxRequestSizeMb < 1 || maxRequestSizeMb > 2047)) {
      throw new ParameterException(
          spec.commandLine(),
          "--dapr-http-max-request-size must be 1..2047 (MB), got " + maxRequestSizeMb);
    }
    if (readBufferSizeKb != null && (readBufferSizeKb < 1 || readBufferSizeKb > 1024 * 1024)) {
      throw new ParameterException(
          spec.commandLine(),
          "--dapr-http-read-buffer-size must be 1..1048576 (KB), got " + readBufferSizeKb);
    }
    if (readBufferSize != null && readBufferSize > 1 << 30) {
      throw new ParameterException(
          spec.commandLine(), "--read-buffer-size must be at most 1Gi, got " + readBufferSize);
    }
    if (maxConnections != null && maxConnections < 0) {
      throw new ParameterException(
          spec.commandLine(),
          "--dapr-http-max-connections must be 0 (no cap) or more, got " + maxConnections);
    }
  }

  /** --app-wasm is the application: no other may be given with it. */
  private void checkWasmAppOptions() {
    if (appWasm == null) {
      return;
    }
    if (!command.isEmpty()) {
      throw new ParameterException(
          spec.commandLine(),
          "--app-wasm is the application: give either --app-wasm or a command to run, not both");
    }
    if (!appProtocol.equalsIgnoreCase("http")) {
      throw new ParameterException(
          spec.commandLine(),
          "--app-wasm serves the app's routes over http: --app-protocol "
              + appProtocol
              + " does not apply");
    }
    if (appHealthCheck) {
      throw new ParameterException(
          spec.commandLine(),
          "--enable-app-health-check probes an application process; a Wasm app (--app-wasm) has none");
    }
    if (!java.nio.file.Files.isRegularFile(appWasm)) {
      throw new ParameterException(spec.commandLine(), "--app-wasm " + appWasm + ": no such file");
    }
  }

  /**
   * dapr run's app protocols: http and grpc work; the TLS and h2c ones are refused by name until
   * their app channels exist, rather than silently talking plaintext or HTTP/1.1 to such an app.
   */
  private void checkAppProtocol() {
    String protocol = appProtocol.toLowerCase(Locale.ROOT);
    switch (protocol) {
      case "http", "grpc" -> {}
      case "grpcs", "https", "h2c" ->
          throw new ParameterException(
              spec.commandLine(),
              "--app-protocol "
                  + protocol
                  + ": the "
                  + protocol
                  + " app channel is not implemented yet; Pillion talks to applications over"
                  + " http or grpc (--app-protocol http, the default, or grpc)");
      default ->
          throw new ParameterException(
              spec.commandLine(),
              "--app-protocol must be one of http, grpc, grpcs, https, h2c (as in dapr run), got '"
                  + appProtocol
                  + "'");
    }
  }

  private void checkPort(String option, Integer port) {
    if (port != null && (port < -1 || port > 65535)) {
      throw new ParameterException(
          spec.commandLine(),
          option + " must be a port (1..65535), or -1 or 0 for a free one; got " + port);
    }
  }

  /** The port to bind: the one given, or 0 (a free one) for none, -1 or 0 as in dapr run. */
  private static int bindPort(Integer port) {
    return port == null || port < 1 ? 0 : port;
  }

  private int bodyLimit() {
    if (maxRequestSizeMb != null) {
      return maxRequestSizeMb << 20;
    }
    return maxBodySize != null ? maxBodySize : HttpLimits.DEFAULT.maxBodyBytes();
  }

  private int readBufferLimit() {
    if (readBufferSizeKb != null) {
      return readBufferSizeKb << 10;
    }
    return readBufferSize != null ? readBufferSize : HttpLimits.DEFAULT.readBufferBytes();
  }

  private PillionServer startServer(String token) {
    List<AppManifest> apps = new ArrayList<>();
    resourcesPaths.forEach(folder -> apps.addAll(WasmAppHost.manifests(folder)));
    if (appWasm != null) {
      apps.add(
          AppManifest.builder(appId, appWasm.toAbsolutePath())
              .httpPort(appPort == null ? 0 : appPort)
              .build());
    }
    boolean servesWasmApp = apps.stream().anyMatch(app -> app.appId().equals(appId));
    // When the Dapr APIs act for a hosted app, they serve that app's view of the components; the
    // runtime that loads them then has no app id of its own (one id, one invocation target).
    Pillion.Builder runtime =
        Pillion.builder().appId(servesWasmApp ? "" : appId).hostedApps(WasmAppHost.appIds(apps));
    if (resourcesPaths.isEmpty()) {
      // The components `dapr init` writes for self-hosted mode, under the same names, in memory.
      runtime.component(
          ComponentDefinition.builder("statestore", "state.in-memory")
              .origin("default components")
              .build());
      runtime.component(
          ComponentDefinition.builder("pubsub", "pubsub.in-memory")
              .origin("default components")
              .build());
    }
    resourcesPaths.forEach(runtime::resourcesPath);
    Pillion built = runtime.build();
    WasmAppHost host;
    try {
      host = WasmAppHost.start(built, apps, bindAddress);
    } catch (RuntimeException e) {
      built.close();
      throw e;
    }
    hosted = host;
    Pillion served = host.app(appId).map(WasmApp::runtime).orElse(built);
    PillionServer.Builder server =
        PillionServer.builder()
            .runtime(served)
            .closeRuntime(false)
            .closeAlso(host)
            .closeAlso(built)
            .bindAddress(bindAddress)
            .httpPort(bindPort(httpPort))
            .grpcPort(bindPort(grpcPort))
            .internalGrpcPort(bindPort(internalGrpcPort))
            .apiLogging(apiLogging)
            .maxBodyBytes(bodyLimit())
            .readBufferSize(readBufferLimit())
            .readTimeout(readTimeout)
            .idleTimeout(idleTimeout);
    if (maxConnections != null) {
      server.maxConnections(maxConnections);
    }
    if (token != null && !token.isEmpty()) {
      server.apiToken(token);
    }
    if (appPort != null && !servesWasmApp) {
      server.appPort(appPort);
      if (appProtocol.equalsIgnoreCase("grpc")) {
        server.appProtocol(AppProtocol.GRPC);
      }
    }
    if (appMaxConcurrency != null && appMaxConcurrency > 0) {
      server.appMaxConcurrency(appMaxConcurrency);
    }
    if (appHealthCheck) {
      server
          .appHealthCheck(true)
          .appHealthCheckPath(appHealthCheckPath)
          .appHealthProbeInterval(appHealthProbeInterval)
          .appHealthProbeTimeout(appHealthProbeTimeout)
          .appHealthThreshold(appHealthThreshold);
    }
    try {
      PillionServer started = server.build().start();
      if (!apps.isEmpty()) {
        started.setMetadata("hostedApps", String.join(",", host.appIds()));
      }
      return started;
    } catch (RuntimeException e) {
      host.close();
      built.close();
      throw e;
    }
  }

  /** The app health options as daprd checks them, each error naming its flag. */
  private void checkAppHealthOptions() {
    if (!appHealthCheckPath.startsWith("/")) {
      throw new ParameterException(
          spec.commandLine(),
          "--app-health-check-path must start with '/', got '" + appHealthCheckPath + "'");
    }
    if (appHealthProbeInterval.isZero()) {
      throw new ParameterException(
          spec.commandLine(), "--app-health-probe-interval must be positive");
    }
    if (appHealthProbeTimeout.isZero()) {
      throw new ParameterException(
          spec.commandLine(), "--app-health-probe-timeout must be positive");
    }
    if (appHealthThreshold < 1) {
      throw new ParameterException(
          spec.commandLine(),
          "--app-health-threshold must be at least 1, got " + appHealthThreshold);
    }
    if (appHealthCheck && appPort == null) {
      throw new ParameterException(
          spec.commandLine(), "--enable-app-health-check needs the application's --app-port");
    }
  }

  /**
   * Polls {@code /v1.0/healthz/outbound} until it answers 204: the APIs are up and the components
   * loaded, which is what the application needs to start (the Dapr SDKs wait on the same endpoint).
   * Not {@code /v1.0/healthz}, which in daprd also waits for the application's subscriptions, so
   * the application must be running for it to become healthy. Each probe is one request on its own
   * connection, closed afterwards ({@code Connection: close}), so the check leaves no pooled
   * connection behind to count against {@code --dapr-http-max-connections}.
   */
  private boolean waitHealthy(PillionServer server, String token) throws InterruptedException {
    String host =
        bindAddress.equals("0.0.0.0")
            ? "127.0.0.1"
            : bindAddress.equals("::") ? "::1" : bindAddress;
    String request =
        "GET /v1.0/healthz/outbound HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + (token != null && !token.isEmpty() ? "dapr-api-token: " + token + "\r\n" : "")
            + "\r\n";
    long deadline = System.nanoTime() + HEALTH_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, server.httpPort()), 2000);
        socket.setSoTimeout(2000);
        socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
        byte[] response = socket.getInputStream().readAllBytes();
        if (new String(response, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 204")) {
          return true;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(50);
    }
    return false;
  }

  /**
   * Without an application: serves until SIGTERM/SIGINT (or a shutdown call), then stops gracefully
   * and exits 0, as daprd does. A second signal while stopping ends the process at once.
   */
  private int serveUntilStopped(PillionServer server, String ready) throws InterruptedException {
    AtomicBoolean stopping = new AtomicBoolean();
    Optional<Runnable> restore =
        Signals.onTermination(
            signal -> {
              if (stopping.getAndSet(true)) {
                Runtime.getRuntime().halt(Signals.exitCode(signal));
              }
              console.status("received SIG" + signal + "; stopping Pillion");
              server.close();
            });
    Thread hook = null;
    if (restore.isEmpty()) {
      hook = new Thread(server::close, "pillion-signal");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    console.status(ready);
    try {
      server.awaitShutdown();
    } finally {
      restore.ifPresent(Runnable::run);
      if (hook != null) {
        removeHook(hook);
      }
    }
    console.status("Pillion stopped");
    return 0;
  }

  private int runApplication(PillionServer server, String token, String ready)
      throws InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
    Map<String, String> env = builder.environment();
    env.put("DAPR_HTTP_PORT", Integer.toString(server.httpPort()));
    env.put("DAPR_GRPC_PORT", Integer.toString(server.grpcPort()));
    env.put("APP_ID", appId);
    env.put("APP_PROTOCOL", appProtocol.toLowerCase(Locale.ROOT));
    if (appPort != null) {
      env.put("APP_PORT", Integer.toString(appPort));
    }
    if (token != null && !token.isEmpty()) {
      env.put("DAPR_API_TOKEN", token);
    }
    // SIGTERM/SIGINT to this process are forwarded to the application (SIGTERM, then SIGKILL after
    // 5 s, or at once on a second signal); this process then exits with the application's code.
    // Installed before the application starts, so no signal can orphan it.
    AtomicReference<Process> started = new AtomicReference<>();
    AtomicInteger signals = new AtomicInteger();
    Optional<Runnable> restore =
        Signals.onTermination(
            signal -> {
              int count = signals.incrementAndGet();
              Process app = started.get();
              if (app != null) {
                stopApplication(app, signal, count);
              }
            });
    server.setMetadata("appCommand", String.join(" ", command));
    console.status(ready);
    Process app;
    try {
      app = builder.start();
    } catch (IOException e) {
      restore.ifPresent(Runnable::run);
      console.failure("cannot start the application " + command + ": " + e.getMessage());
      return PillionCli.EXIT_RUNTIME;
    }
    started.set(app);
    server.setMetadata("appPID", Long.toString(app.pid()));
    console.status("started the application (pid " + app.pid() + "): " + String.join(" ", command));
    Thread hook = null;
    if (restore.isEmpty()) {
      // No signal handling on this JVM: stop the application from a shutdown hook (the exit code
      // is then the JVM's, 128 + the signal).
      hook =
          new Thread(
              () -> {
                stopApplication(app, "TERM", 1);
                waitQuietly(app);
                server.close();
              },
              "pillion-signal");
      Runtime.getRuntime().addShutdownHook(hook);
    } else if (signals.get() > 0) {
      // A signal came while the application was starting.
      stopApplication(app, "TERM", signals.get());
    }
    int exit;
    try {
      exit = app.waitFor();
    } finally {
      restore.ifPresent(Runnable::run);
      if (hook != null) {
        removeHook(hook);
      }
    }
    console.status("the application exited with code " + exit + "; stopping Pillion");
    return exit;
  }

  private void stopApplication(Process app, String signal, int count) {
    if (!app.isAlive()) {
      return;
    }
    if (count > 1) {
      app.destroyForcibly();
      return;
    }
    console.status("received SIG" + signal + "; stopping the application (pid " + app.pid() + ")");
    app.destroy();
    Thread killer =
        new Thread(
            () -> {
              try {
                if (!app.waitFor(5, TimeUnit.SECONDS)) {
                  app.destroyForcibly();
                }
              } catch (InterruptedException e) {
                app.destroyForcibly();
              }
            },
            "pillion-app-killer");
    killer.setDaemon(true);
    killer.start();
  }

  private static void waitQuietly(Process app) {
    try {
      if (!app.waitFor(6, TimeUnit.SECONDS)) {
        app.destroyForcibly();
      }
    } catch (InterruptedException e) {
      app.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook is running and will finish the job.
    }
  }
}
