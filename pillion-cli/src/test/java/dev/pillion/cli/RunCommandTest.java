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
        .contains("--resources-path", "--dapr-http-port", "--dapr-grpc-port", "--app-port");
    assertThat(List.of(result.out().split("\n"))).isNotEmpty();
  }
}
