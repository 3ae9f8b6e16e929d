package dev.pillion.examples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.cli.PillionCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The quickstart end to end, as a user runs it: one {@code pillion run} with order-processor as the
 * app and checkout beside it; every order checkout publishes reaches order-processor.
 */
class PubSubQuickstartTest {
  private static final int ORDERS = 20;

  @TempDir Path dir;

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Test
  void everyOrderCheckoutPublishesReachesOrderProcessor() throws Exception {
    Path report = dir.resolve("received.txt");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = PillionCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit =
        cli.execute(
            "run",
            "--app-id",
            "order-processor",
            "--app-port",
            Integer.toString(freePort()),
            "--dapr-http-port",
            "0",
            "--dapr-grpc-port",
            "0",
            "--resources-path",
            Path.of("components").toAbsolutePath().toString(),
            "--",
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            Quickstart.class.getName(),
            "--orders",
            Integer.toString(ORDERS),
            "--report",
            report.toString());
    assertThat(exit).as("pillion run:%n%s%n%s", out, err).isZero();
    List<String> expected = IntStream.rangeClosed(1, ORDERS).mapToObj(Integer::toString).toList();
    assertThat(Files.readAllLines(report)).containsExactlyElementsOf(expected);
    assertThat(out.toString()).contains("pillion ready:", "exited with code 0");
  }
}
