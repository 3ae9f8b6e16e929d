package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.pillion.testing.RedisServerFixture;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class RunCommandTest {
  @TempDir Path dir;

  private record Result(int exit, String out, String err) {}

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = PillionCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void runsTheApplicationWithTheDaprEnvironmentAndStopsWithIt() throws Exception {
    Path report = dir.resolve("report.txt");
    int httpPort = freePort();
    int grpcPort = freePort();
    Result result =
        run(
            "run",
            "--app-id",
            "probe-app",
            "--app-port",
            "8088",
            "--dapr-http-port",
            Integer.toString(httpPort),
            "--dapr-grpc-port",
            Integer.toString(grpcPort),
            "--",
            java(),
            "-cp",
            Path.of("target", "test-classes").toAbsolutePath().toString(),
            EnvProbe.class.getName(),
            report.toString(),
            "5");
    assertThat(result.exit()).as(result.err()).isEqualTo(5);
    assertThat(Files.readAllLines(report))
        .containsExactly(
            "DAPR_HTTP_PORT=" + httpPort,
            "DAPR_GRPC_PORT=" + grpcPort,
            "APP_ID=probe-app",
            "APP_PORT=8088",
            "APP_PROTOCOL=http",
            "saved=204",
            "read=\"hello\"");
    assertThat(result.out())
        .contains("pillion ready", "exited with code 5")
        .doesNotContain("API called");
    // The runtime stopped with the application: its port is free again.
    try (Socket socket = new Socket()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> socket.connect(new java.net.InetSocketAddress("127.0.0.1", httpPort), 500))
          .isInstanceOf(IOException.class);
    }
  }

  private static String testClasses() {
    return Path.of("target", "test-classes").toAbsolutePath().toString();
  }

  /** {@code pillion run} in a JVM of its own, so it can be sent signals. */
  private Process pillion(Path log, String... args) throws IOException {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                java(), "-cp", System.getProperty("java.class.path"), PillionCli.class.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /** Waits for a file the other process writes when it is ready (a positive signal, bounded). */
  private static void awaitFile(Path file, Process process, Path log) throws Exception {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    while (!Files.exists(file) && process.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(Files.exists(file)).as("%s not written; pillion log:%n%s", file, read(log)).isTrue();
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "";
  }

  @Test
  void sigtermIsForwardedToTheApplicationAndPillionExitsWithItsCode() throws Exception {
    Path log = dir.resolve("pillion.log");
    Path ready = dir.resolve("ready");
    Path stopped = dir.resolve("stopped");
    Process pillion =
        pillion(
            log,
            "run",
            "--app-id",
            "sig-app",
            "-H",
            "0",
            "-G",
            "0",
            "--",
            java(),
            "-cp",
            testClasses(),
            TermProbe.class.getName(),
            ready.toString(),
            stopped.toString(),
            "7");
    try {
      awaitFile(ready, pillion, log);
      assertThat(Files.readString(ready)).isEqualTo("saved=204");
      pillion.destroy(); // SIGTERM
      assertThat(pillion.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(pillion.exitValue()).as(read(log)).isEqualTo(7);
      assertThat(Files.readString(stopped)).isEqualTo("stopped");
      assertThat(read(log)).contains("received SIGTERM", "exited with code 7");
    } finally {
      pillion.destroyForcibly();
    }
  }

  @Test
  void withoutAnApplicationSigtermStopsPillionGracefully() throws Exception {
    Path log = dir.resolve("pillion.log");
    Process pillion = pillion(log, "run", "--app-id", "alone", "-H", "0", "-G", "0");
    try {
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
      while (!read(log).contains("pillion ready")
          && pillion.isAlive()
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(read(log)).contains("pillion ready");
      pillion.destroy(); // SIGTERM
      assertThat(pillion.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(pillion.exitValue()).as(read(log)).isZero();
      assertThat(read(log)).contains("received SIGTERM", "Pillion stopped");
    } finally {
      pillion.destroyForcibly();
    }
  }

  @Test
  void theHttpLimitsFromTheCommandLineAreEnforced() throws Exception {
    Path report = dir.resolve("report.txt");
    Result result =
        run(
            "run",
            "--app-id",
            "limits",
            "-H",
            "0",
            "-G",
            "0",
            "--max-body-size",
            "1Ki",
            "--read-buffer-size",
            "1Ki",
            "--dapr-http-read-timeout",
            "300ms",
            "--",
            java(),
            "-cp",
            testClasses(),
            RawProbe.class.getName(),
            report.toString(),
            "2000:POST /v1.0/state/statestore HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 2000\\r\\n\\r\\n",
            "0:GET /v1.0/healthz HTTP/1.1\\r\\nHost: x\\r\\nX-Big: "
                + "h".repeat(6000)
                + "\\r\\n\\r\\n",
            "0:GET /v1.0/healthz HTTP/1.1\\r\\nHost: x\\r\\n",
            "0:GET /v1.0/healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n");
    assertThat(result.exit()).as(result.err()).isZero();
    List<String> lines = Files.readAllLines(report);
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).startsWith("HTTP/1.1 413").contains("1024 bytes");
    assertThat(lines.get(1)).startsWith("HTTP/1.1 431").contains("5120 bytes");
    assertThat(lines.get(2)).startsWith("HTTP/1.1 408").contains("300 ms");
    assertThat(lines.get(3)).startsWith("HTTP/1.1 204");
  }

  @Test
  void daprRunsSpellingsOfTheLimitsWorkToo() throws Exception {
    Path report = dir.resolve("report.txt");
    Result result =
        run(
            "run",
            "--app-id",
            "limits",
            "-H",
            "0",
            "-G",
            "0",
            "--dapr-http-max-request-size",
            "1",
            "--dapr-http-read-buffer-size",
            "2",
            "--",
            java(),
            "-cp",
            testClasses(),
            RawProbe.class.getName(),
            report.toString(),
            "0:POST /v1.0/state/statestore HTTP/1.1\\r\\nHost: x\\r\\n"
                + "Content-Length: 1048577\\r\\n\\r\\n",
            "0:GET /v1.0/healthz HTTP/1.1\\r\\nHost: x\\r\\nX-Big: "
                + "h".repeat(7000)
                + "\\r\\n\\r\\n");
    assertThat(result.exit()).as(result.err()).isZero();
    List<String> lines = Files.readAllLines(report);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("HTTP/1.1 413").contains("1048576 bytes");
    assertThat(lines.get(1)).startsWith("HTTP/1.1 431").contains("6144 bytes");
  }

  @Test
  void theConnectionCapFromTheCommandLineRefusesExtraConnections() throws Exception {
    Path report = dir.resolve("report.txt");
    String healthz = "0:GET /v1.0/healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n";
    Result result =
        run(
            "run",
            "--app-id",
            "cap",
            "-H",
            "0",
            "-G",
            "0",
            "--dapr-http-max-connections",
            "2",
            "--",
            java(),
            "-cp",
            testClasses(),
            RawProbe.class.getName(),
            report.toString(),
            healthz,
            healthz,
            healthz);
    assertThat(result.exit()).as(result.err()).isZero();
    // The probe keeps its connections open: the third is one too many.
    assertThat(Files.readAllLines(report))
        .satisfiesExactly(
            first -> assertThat(first).startsWith("HTTP/1.1 204"),
            second -> assertThat(second).startsWith("HTTP/1.1 204"),
            third -> assertThat(third).isEqualTo("closed"));
  }

  @Test
  void badHttpLimitsAreUsageErrors() {
    Result conflicting =
        run("run", "--app-id", "x", "--max-body-size", "4Mi", "--dapr-http-max-request-size", "4");
    assertThat(conflicting.exit()).isEqualTo(2);
    assertThat(conflicting.err()).contains("--max-body-size or --dapr-http-max-request-size");

    Result badSize = run("run", "--app-id", "x", "--max-body-size", "4XB");
    assertThat(badSize.exit()).isEqualTo(2);
    assertThat(badSize.err()).contains("--max-body-size", "'4XB' is not a size");

    Result badDuration = run("run", "--app-id", "x", "--dapr-http-idle-timeout", "5 minutes");
    assertThat(badDuration.exit()).isEqualTo(2);
    assertThat(badDuration.err()).contains("--dapr-http-idle-timeout", "is not a duration");

    Result negative = run("run", "--app-id", "x", "--dapr-http-max-connections", "-1");
    assertThat(negative.exit()).isEqualTo(2);
    assertThat(negative.err()).contains("--dapr-http-max-connections must be 0");
  }

  @Test
  void theMetadataApiListsTheCommandAndProcessesAsDaprRunDoes() throws Exception {
    Path report = dir.resolve("metadata.json");
    Result result =
        run(
            "run",
            "--app-id",
            "metadata-probe",
            "--dapr-http-port",
            Integer.toString(freePort()),
            "--dapr-grpc-port",
            Integer.toString(freePort()),
            "--",
            java(),
            "-cp",
            testClasses(),
            MetadataProbe.class.getName(),
            report.toString());
    assertThat(result.exit()).as(result.err()).isZero();
    com.fasterxml.jackson.databind.JsonNode extended =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(Files.readString(report))
            .path("extended");
    assertThat(extended.path("cliPID").asText())
        .isEqualTo(Long.toString(ProcessHandle.current().pid()));
    assertThat(extended.path("appPID").asText()).isNotEmpty();
    assertThat(extended.path("appCommand").asText())
        .isEqualTo(
            String.join(
                " ",
                java(),
                "-cp",
                testClasses(),
                MetadataProbe.class.getName(),
                report.toString()));
    assertThat(extended.path("daprRuntimeVersion").asText()).startsWith("pillion-");
  }

  @Test
  void aBadResourcesFolderIsAClearErrorAndNonZeroExit() throws IOException {
    Files.writeString(
        dir.resolve("broken.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: [\n");
    Result result =
        run(
            "run",
            "--app-id",
            "x",
            "--dapr-http-port",
            "0",
            "--dapr-grpc-port",
            "0",
            "--resources-path",
            dir.toString());
    assertThat(result.exit()).isEqualTo(PillionCli.EXIT_RUNTIME);
    assertThat(result.err()).contains("Pillion failed to start").contains("broken.yaml");
  }

  @Test
  void aMissingResourcesFolderIsAClearError() {
    Result result =
        run(
            "run",
            "--app-id",
            "x",
            "-H",
            "0",
            "-G",
            "0",
            "-d",
            dir.resolve("absent").toString(),
            "--",
            "true");
    assertThat(result.exit()).isEqualTo(PillionCli.EXIT_RUNTIME);
    assertThat(result.err()).contains("is not a directory");
  }

  @Test
  void aPortInUseIsAClearError() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Result result =
          run(
              "run",
              "--app-id",
              "x",
              "-H",
              Integer.toString(taken.getLocalPort()),
              "-G",
              "0",
              "--",
              "true");
      assertThat(result.exit()).isEqualTo(PillionCli.EXIT_RUNTIME);
      assertThat(result.err()).contains("cannot bind the HTTP API");
    }
  }

  @Test
  void anApplicationThatCannotStartIsAClearError() {
    Result result = run("run", "--app-id", "x", "-H", "0", "-G", "0", "--", "/nonexistent/program");
    assertThat(result.exit()).isEqualTo(PillionCli.EXIT_RUNTIME);
    assertThat(result.err()).contains("cannot start the application");
  }

  @Test
  void missingAppIdIsAUsageError() {
    Result result = run("run");
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.err()).contains("--app-id");
  }

  @Test
  void helpListsTheOptions() {
    Result result = run("run", "--help");
    assertThat(result.exit()).isZero();
    assertThat(result.out())
        .contains(
            "--resources-path",
            "--dapr-http-port",
            "--dapr-grpc-port",
            "--app-port",
            "--max-body-size",
            "--dapr-http-max-request-size",
            "--read-buffer-size",
            "--dapr-http-read-buffer-size",
            "--dapr-http-read-timeout",
            "--dapr-http-idle-timeout",
            "--dapr-http-max-connections",
            "--components-path",
            "--app-protocol",
            "--app-max-concurrency",
            "--log-level",
            "--enable-api-logging");
    assertThat(List.of(result.out().split("\n"))).isNotEmpty();
  }

  // ---- dapr run habits: ports, logs, flags ----

  private static final Pattern LOG_LINE =
      Pattern.compile(
          "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)"
              + " (TRACE|DEBUG|INFO |WARN |ERROR) \\[[^\\]]+\\] .*");
  private static final Pattern READY =
      Pattern.compile(
          "pillion ready: app-id \\S+, http (\\d+), grpc (\\d+), internal grpc (\\d+), components \\[.*\\]");

  /** A {@code pillion run} in this JVM, on a thread of its own, with its output readable. */
  private record Running(StringWriter out, StringWriter err, CompletableFuture<Integer> exit) {
    String output() {
      return out.toString();
    }
  }

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
            "pillion-run-under-test");
    thread.setDaemon(true);
    thread.start();
    return new Running(out, err, exit);
  }

  /** Waits (bounded) until a running {@code pillion run} has printed a text. */
  private static void awaitOutput(Running running, String text) throws InterruptedException {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    while (!running.output().contains(text)
        && !running.exit().isDone()
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(running.output())
        .as("waiting for '%s'; stderr: %s", text, running.err())
        .contains(text);
  }

  /** Stops a {@code pillion run} without an application through the API, and returns its code. */
  private static int shutdown(Running running, int httpPort) throws Exception {
    HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1.0/shutdown"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding());
    return running.exit().get(60, TimeUnit.SECONDS);
  }

  private static Matcher ready(String output) {
    Matcher ready = READY.matcher(output);
    assertThat(ready.find()).as(output).isTrue();
    return ready;
  }

  private Path resources(String name, String... types) throws IOException {
    Path folder = Files.createDirectories(dir.resolve(name));
    for (String type : types) {
      String component = type.startsWith("state.") ? "statestore" : "pubsub";
      Files.writeString(
          folder.resolve(component + ".yaml"),
          "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: "
              + component
              + "\nspec:\n  type: "
              + type
              + "\n  version: v1\n");
    }
    return folder;
  }

  @Test
  void aSecretStoreFromTheResourcesFolderIsServed() throws Exception {
    Path secrets =
        Files.writeString(dir.resolve("secrets.json"), "{\"db\": {\"password\": \"s3\"}}");
    Path folder = Files.createDirectories(dir.resolve("secret-resources"));
    Files.writeString(
        folder.resolve("secrets.yaml"),
        """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: {name: localsecrets}
        spec:
          type: secretstores.local.file
          version: v1
          metadata:
          - {name: secretsFile, value: "%s"}
          - {name: nestedSeparator, value: ":"}
        """
            .formatted(secrets));
    Running running = start("run", "-a", "secrets", "-d", folder.toString(), "-H", "0", "-G", "0");
    awaitOutput(running, "pillion ready");
    int httpPort = Integer.parseInt(ready(running.output()).group(1));
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + httpPort
                                + "/v1.0/secrets/localsecrets/db:password"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"db:password\":\"s3\"}");
    assertThat(shutdown(running, httpPort)).isZero();
  }

  /** {@code redis-cli} with {@code --raw} on a fixture's server: one line per reply element. */
  private static List<String> redisCli(RedisServerFixture redis, String... command)
      throws IOException, InterruptedException {
    List<String> line =
        new java.util.ArrayList<>(
            List.of(REDIS_CLI, "-h", "127.0.0.1", "-p", Integer.toString(redis.port()), "--raw"));
    line.addAll(List.of(command));
    Process cli = new ProcessBuilder(line).redirectErrorStream(true).start();
    String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(cli.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(cli.exitValue()).as(output).isZero();
    return output.lines().toList();
  }

  private static final String REDIS_CLI = "/usr/bin/redis-cli";

  @Test
  void daprInitsRedisComponentsServeStateAndPubSub() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        RedisServerFixture.available() && Files.isExecutable(Path.of(REDIS_CLI)),
        "redis-server or redis-cli is not installed");
    try (RedisServerFixture redis = RedisServerFixture.start()) {
      // Exactly what `dapr init` writes to ~/.dapr/components, but for the port.
      String host = "localhost:" + redis.port();
      Path folder = Files.createDirectories(dir.resolve("dapr-init"));
      Files.writeString(
          folder.resolve("statestore.yaml"),
          """
          apiVersion: dapr.io/v1alpha1
          kind: Component
          metadata:
            name: statestore
          spec:
            type: state.redis
            version: v1
            metadata:
            - name: redisHost
              value: %s
            - name: redisPassword
              value: ""
            - name: actorStateStore
              value: "true"
          """
              .formatted(host));
      Files.writeString(
          folder.resolve("pubsub.yaml"),
          """
          apiVersion: dapr.io/v1alpha1
          kind: Component
          metadata:
            name: pubsub
          spec:
            type: pubsub.redis
            version: v1
            metadata:
            - name: redisHost
              value: %s
            - name: redisPassword
              value: ""
          """
              .formatted(host));
      Running running =
          start(
              "run",
              "--app-id",
              "orders",
              "--resources-path",
              folder.toString(),
              "-H",
              "0",
              "-G",
              "0");
      awaitOutput(running, "pillion ready");
      Matcher ready = ready(running.output());
      assertThat(ready.group())
          .endsWith("components [pubsub (pubsub.redis), statestore (state.redis)]");
      int httpPort = Integer.parseInt(ready.group(1));
      HttpClient http = HttpClient.newHttpClient();
      String api = "http://127.0.0.1:" + httpPort + "/v1.0";
      HttpResponse<String> saved =
          http.send(
              HttpRequest.newBuilder(URI.create(api + "/state/statestore"))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "[{\"key\":\"order-1\",\"value\":{\"qty\":2}}]"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(saved.statusCode()).as(saved.body()).isEqualTo(204);
      HttpResponse<String> read =
          http.send(
              HttpRequest.newBuilder(URI.create(api + "/state/statestore/order-1")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
      assertThat(read.body()).isEqualTo("{\"qty\":2}");
      assertThat(read.headers().firstValue("etag")).hasValue("1");
      HttpResponse<String> published =
          http.send(
              HttpRequest.newBuilder(URI.create(api + "/publish/pubsub/orders"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":7}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(published.statusCode()).as(published.body()).isEqualTo(204);
      assertThat(shutdown(running, httpPort)).isZero();

      // daprd's layout, as a daprd sidecar on the same Redis reads it: a hash under appid||key with
      // data and version, and no field but the one docs/decisions.md adds (contentType, which the
      // HTTP API sets on every save and daprd's reader skips).
      List<String> hash = redisCli(redis, "HGETALL", "orders||order-1");
      java.util.Map<String, String> fields = new java.util.HashMap<>();
      for (int i = 0; i + 1 < hash.size(); i += 2) {
        fields.put(hash.get(i), hash.get(i + 1));
      }
      assertThat(fields)
          .containsEntry("data", "{\"qty\":2}")
          .containsEntry("version", "1")
          .containsOnlyKeys("data", "version", "contentType");
      List<String> entries = redisCli(redis, "XRANGE", "orders", "-", "+");
      assertThat(entries).hasSize(3);
      assertThat(entries.get(0)).matches("\\d+-\\d+");
      assertThat(entries.get(1)).isEqualTo("data");
      assertThat(entries.get(2))
          .contains("\"specversion\":\"1.0\"", "\"topic\":\"orders\"", "\"orderId\":7");
    }
  }

  @Test
  void withoutPortsFreeOnesAreChosenPrintedAndGivenToTheApplication() throws Exception {
    Path log = dir.resolve("first.log");
    Process first = pillion(log, "run", "--app-id", "first");
    try {
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
      while (!READY.matcher(read(log)).find() && first.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Matcher firstReady = ready(read(log));
      // A second run beside the first, also without ports: no collision.
      Path report = dir.resolve("report.txt");
      Result second =
          run(
              "run",
              "--app-id",
              "second",
              "--",
              java(),
              "-cp",
              testClasses(),
              EnvProbe.class.getName(),
              report.toString(),
              "0");
      assertThat(second.exit()).as(second.out() + second.err()).isZero();
      Matcher secondReady = ready(second.out());
      assertThat(Files.readAllLines(report))
          .contains(
              "DAPR_HTTP_PORT=" + secondReady.group(1),
              "DAPR_GRPC_PORT=" + secondReady.group(2),
              "saved=204");
      assertThat(List.of(secondReady.group(1), secondReady.group(2)))
          .doesNotContain(firstReady.group(1), firstReady.group(2));
      assertThat(firstReady.group(1)).isNotEqualTo(firstReady.group(2));
      // The first still serves on the ports it printed.
      assertThat(
              HttpClient.newHttpClient()
                  .send(
                      HttpRequest.newBuilder(
                              URI.create(
                                  "http://127.0.0.1:" + firstReady.group(1) + "/v1.0/healthz"))
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode())
          .isEqualTo(204);
      first.destroy();
      assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(first.exitValue()).as(read(log)).isZero();
    } finally {
      first.destroyForcibly();
    }
  }

  @Test
  void theLogIsOneLinePerEntryStartingBeforeTheComponentsLoadAndReadyListingThemAll()
      throws Exception {
    Path state = resources("state", "state.in-memory");
    Path pubsub = resources("pubsub", "pubsub.in-memory");
    Path report = dir.resolve("report.txt");
    Result result =
        run(
            "run",
            "-a",
            "logs",
            "--resources-path",
            state + "," + pubsub,
            "-P",
            "http",
            "--app-max-concurrency",
            "-1",
            "--",
            java(),
            "-cp",
            testClasses(),
            EnvProbe.class.getName(),
            report.toString(),
            "0");
    assertThat(result.exit()).as(result.err()).isZero();
    List<String> lines = result.out().lines().toList();
    assertThat(lines).isNotEmpty().allSatisfy(line -> assertThat(line).matches(LOG_LINE));
    assertThat(result.out()).doesNotContain("lambda$");
    int starting = indexOf(lines, "[cli] pillion starting: app-id logs");
    int loaded = indexOf(lines, "[ComponentLoader] loaded component 'statestore'");
    int ready = indexOf(lines, "[cli] pillion ready");
    assertThat(starting).isLessThan(loaded).isLessThan(ready);
    assertThat(lines.get(ready))
        .endsWith(", components [statestore (state.in-memory), pubsub (pubsub.in-memory)]");
  }

  @Test
  void withoutResourcesTheDefaultsOfDaprInitAreLoaded() throws Exception {
    Result result = run("run", "--app-id", "defaults", "--", "true");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(ready(result.out()).group())
        .endsWith(", components [statestore (state.in-memory), pubsub (pubsub.in-memory)]");
  }

  @Test
  void aPubSubOnlyAppListsItsPubSubInTheReadyLine() throws Exception {
    Result result =
        run(
            "run",
            "--app-id",
            "pubsub-only",
            "--components-path",
            resources("only-pubsub", "pubsub.in-memory").toString(),
            "--",
            "true");
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(ready(result.out()).group()).endsWith(", components [pubsub (pubsub.in-memory)]");
  }

  private static int indexOf(List<String> lines, String text) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i;
      }
    }
    throw new AssertionError("no line contains '" + text + "' in " + lines);
  }

  @Test
  void theLogLevelIsAppliedToTheRuntimesLoggers() throws Exception {
    Result debug = run("run", "--app-id", "loud", "--log-level", "debug", "--", "true");
    assertThat(debug.exit()).as(debug.err()).isZero();
    assertThat(debug.out()).contains("DEBUG [WasmHost] loaded component 'statestore'");

    Result info = run("run", "--app-id", "normal", "--", "true");
    assertThat(info.out())
        .contains("INFO  [ComponentLoader] loaded component 'statestore'")
        .doesNotContain("DEBUG");

    Result warn = run("run", "--app-id", "quiet", "--log-level", "WARN", "--", "true");
    assertThat(warn.exit()).as(warn.err()).isZero();
    // Only pillion run's own lines are at INFO.
    assertThat(warn.out().lines().filter(line -> line.contains(" INFO  ")))
        .isNotEmpty()
        .allSatisfy(line -> assertThat(line).contains(" INFO  [cli] "));
    assertThat(warn.out()).contains("pillion ready");
  }

  @Test
  void apiLoggingLogsEveryHttpAndGrpcCallWhateverTheLogLevel() throws Exception {
    int httpPort = freePort();
    int grpcPort = freePort();
    Running running =
        start(
            "run",
            "--app-id",
            "api-log",
            "--enable-api-logging",
            "--log-level",
            "error",
            "-H",
            Integer.toString(httpPort),
            "-G",
            Integer.toString(grpcPort));
    awaitOutput(running, "pillion ready");
    HttpClient http = HttpClient.newHttpClient();
    assertThat(
            http.send(
                    HttpRequest.newBuilder(
                            URI.create(
                                "http://127.0.0.1:" + httpPort + "/v1.0/state/statestore?x=1"))
                        .POST(HttpRequest.BodyPublishers.ofString("[{\"key\":\"k\",\"value\":1}]"))
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(204);
    io.grpc.ManagedChannel channel =
        io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    try {
      io.dapr.v1.DaprGrpc.newBlockingStub(channel)
          .getState(
              io.dapr.v1.DaprStateProtos.GetStateRequest.newBuilder()
                  .setStoreName("statestore")
                  .setKey("k")
                  .build());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    awaitOutput(running, "Dapr/GetState");
    assertThat(shutdown(running, httpPort)).isZero();
    assertThat(running.output())
        .containsPattern(
            "INFO  \\[api\\] HTTP API called: POST /v1\\.0/state/statestore, status 204, [0-9.]+ ms")
        .containsPattern(
            "INFO  \\[api\\] gRPC API called: /dapr\\.proto\\.runtime\\.v1\\.Dapr/GetState,"
                + " status OK, [0-9.]+ ms")
        .doesNotContain("[ComponentLoader] loaded component");
  }

  /** An app behind --app-port, served from this JVM: its handlers run on threads of their own. */
  private static HttpServer app(String subscribeAnswer) throws IOException {
    HttpServer app =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.setExecutor(
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "test-app");
              thread.setDaemon(true);
              return thread;
            }));
    byte[] body = subscribeAnswer.getBytes(StandardCharsets.UTF_8);
    app.createContext(
        "/dapr/subscribe",
        exchange -> {
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    return app;
  }

  @Test
  void aFailedSubscribeIsOneErrorLineWithoutAStackTrace() throws Exception {
    HttpServer app = app("this is not JSON");
    app.start();
    int httpPort = freePort();
    try {
      Running running =
          start(
              "run",
              "--app-id",
              "broken-app",
              "-H",
              Integer.toString(httpPort),
              "-G",
              "0",
              "--app-port",
              Integer.toString(app.getAddress().getPort()));
      awaitOutput(running, " ERROR ");
      assertThat(shutdown(running, httpPort)).isZero();
      List<String> errors =
          running.output().lines().filter(line -> line.contains(" ERROR ")).toList();
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0)).matches(LOG_LINE).contains("subscriptions");
      assertThat(running.output().lines()).allSatisfy(line -> assertThat(line).matches(LOG_LINE));
    } finally {
      app.stop(0);
    }
  }

  @Test
  void appMaxConcurrencyBoundsTheCallsIntoTheApplication() throws Exception {
    HttpServer app =
        app(
            "[{\"pubsubname\":\"pubsub\",\"topic\":\"a\",\"route\":\"/events\"},"
                + "{\"pubsubname\":\"pubsub\",\"topic\":\"b\",\"route\":\"/events\"},"
                + "{\"pubsubname\":\"pubsub\",\"topic\":\"c\",\"route\":\"/events\"}]");
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger mostInFlight = new AtomicInteger();
    AtomicInteger delivered = new AtomicInteger();
    app.createContext(
        "/events",
        exchange -> {
          mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
          try {
            exchange.getRequestBody().readAllBytes();
            Thread.sleep(200);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            inFlight.decrementAndGet();
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
          delivered.incrementAndGet();
        });
    app.start();
    int httpPort = freePort();
    try {
      Running running =
          start(
              "run",
              "--app-id",
              "one-at-a-time",
              "-H",
              Integer.toString(httpPort),
              "-G",
              "0",
              "-d",
              resources("broker", "pubsub.in-memory").toString(),
              "-p",
              Integer.toString(app.getAddress().getPort()),
              "--app-max-concurrency",
              "1");
      awaitOutput(running, "delivering 3 subscription(s)");
      HttpClient http = HttpClient.newHttpClient();
      for (int i = 0; i < 2; i++) {
        for (String topic : List.of("a", "b", "c")) {
          assertThat(
                  http.send(
                          HttpRequest.newBuilder(
                                  URI.create(
                                      "http://127.0.0.1:"
                                          + httpPort
                                          + "/v1.0/publish/pubsub/"
                                          + topic))
                              .POST(HttpRequest.BodyPublishers.ofString("{}"))
                              .header("Content-Type", "application/json")
                              .build(),
                          HttpResponse.BodyHandlers.discarding())
                      .statusCode())
              .isEqualTo(204);
        }
      }
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
      while (delivered.get() < 6 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(delivered.get()).isEqualTo(6);
      assertThat(mostInFlight.get()).isEqualTo(1);
      assertThat(shutdown(running, httpPort)).isZero();
    } finally {
      app.stop(0);
    }
  }

  @Test
  void daprRunFlagsPillionDoesNotImplementAreClearUsageErrors() {
    Result grpcs = run("run", "--app-id", "x", "--app-protocol", "grpcs", "--", "true");
    assertThat(grpcs.exit()).isEqualTo(2);
    assertThat(grpcs.err())
        .contains("--app-protocol grpcs: the grpcs app channel is not implemented yet");

    Result https = run("run", "--app-id", "x", "-P", "https");
    assertThat(https.exit()).isEqualTo(2);
    assertThat(https.err())
        .contains("--app-protocol https: the https app channel is not implemented");

    Result unknownProtocol = run("run", "--app-id", "x", "--app-protocol", "ftp");
    assertThat(unknownProtocol.exit()).isEqualTo(2);
    assertThat(unknownProtocol.err()).contains("--app-protocol must be one of http, grpc");

    Result level = run("run", "--app-id", "x", "--log-level", "verbose");
    assertThat(level.exit()).isEqualTo(2);
    assertThat(level.err()).contains("--log-level", "verbose");

    Result concurrency = run("run", "--app-id", "x", "--app-max-concurrency", "0");
    assertThat(concurrency.exit()).isEqualTo(2);
    assertThat(concurrency.err())
        .contains("--app-max-concurrency must be -1 (unlimited) or at least 1");

    Result port = run("run", "--app-id", "x", "--dapr-grpc-port", "70000");
    assertThat(port.exit()).isEqualTo(2);
    assertThat(port.err()).contains("--dapr-grpc-port must be a port");

    Result unknown = run("run", "--app-id", "x", "--config", "tracing.yaml", "--", "true");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("Unknown option: '--config'");
  }
}
