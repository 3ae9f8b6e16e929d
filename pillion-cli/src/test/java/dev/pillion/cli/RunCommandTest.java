package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
            "saved=204",
            "read=\"hello\"");
    assertThat(result.out()).contains("Pillion is up", "exited with code 5");
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
      while (!read(log).contains("Pillion is up")
          && pillion.isAlive()
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(read(log)).contains("Pillion is up");
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
            "--dapr-http-max-connections");
    assertThat(List.of(result.out().split("\n"))).isNotEmpty();
  }
}
