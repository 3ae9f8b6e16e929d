package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Service invocation through the official Dapr JavaScript SDK's {@code client.invoker.invoke}: two
 * {@code pillion run} apps running {@code sdk-tests/js/invoke.js}, one in a process of its own
 * ({@code js-invoke-b}, serving) and one in this JVM ({@code js-invoke-a}, calling), find each
 * other by app id through a same-machine registry and invoke each other over Dapr's internal
 * protocol: every verb, query strings, headers, JSON and text bodies, the app's error status, an
 * unknown app id, and a call back from the callee to the caller. The calling script checks the
 * answers and writes a report. Skipped only when Node.js is not installed.
 */
class JsSdkInvokeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void twoPillionRunAppsInvokeEachOtherThroughTheJsSdk() throws Exception {
    String node = JsSdk.requireNode("service invocation");
    Path script = JsSdk.directory().resolve("invoke.js");
    Path resources = Files.createDirectory(dir.resolve("resources"));
    Files.writeString(
        resources.resolve("config.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: registry\nspec:\n"
            + "  nameResolution:\n    component: local\n    configuration:\n      directory: "
            + dir.resolve("registry")
            + "\n");
    Path calleeLog = dir.resolve("callee.log");
    Process callee =
        new ProcessBuilder(
                List.of(
                    ProcessHandle.current().info().command().orElse("java"),
                    "-cp",
                    System.getProperty("java.class.path"),
                    PillionCli.class.getName(),
                    "run",
                    "--app-id",
                    "js-invoke-b",
                    "--app-port",
                    Integer.toString(JsSdk.freePort()),
                    "--dapr-http-port",
                    "0",
                    "--dapr-grpc-port",
                    "0",
                    "--resources-path",
                    resources.toString(),
                    "--",
                    "node",
                    script.toString(),
                    "serve"))
            .redirectErrorStream(true)
            .redirectOutput(calleeLog.toFile())
            .start();
    try {
      Path report = dir.resolve("report.json");
      StringWriter err = new StringWriter();
      CommandLine cli = PillionCli.commandLine();
      cli.setOut(new PrintWriter(new StringWriter(), true));
      cli.setErr(new PrintWriter(err, true));
      int exit =
          cli.execute(
              "run",
              "--app-id",
              "js-invoke-a",
              "--app-port",
              Integer.toString(JsSdk.freePort()),
              "--dapr-http-port",
              "0",
              "--dapr-grpc-port",
              "0",
              "--resources-path",
              resources.toString(),
              "--",
              "node",
              script.toString(),
              "call",
              "js-invoke-b",
              report.toString());

      String written = Files.exists(report) ? Files.readString(report) : "(no report written)";
      assertThat(exit)
          .as(
              "node %s: invoke.js call exited %d; report: %s%nstderr: %s%ncallee: %s",
              node, exit, written, err, Files.readString(calleeLog))
          .isZero();
      JsonNode result = JSON.readTree(written);
      assertThat(result.path("failures")).as(written).isEmpty();
      assertThat(result.path("checks"))
          .extracting(JsonNode::asText)
          .containsExactly(
              "GET with query and header",
              "the callee learns the caller's app id",
              "no API token reaches the other app",
              "POST with a JSON body",
              "PUT with a text body and query",
              "DELETE",
              "the app's error status and body come back",
              "an unknown app id is daprd's ERR_DIRECT_INVOKE",
              "the callee invokes the caller back");
    } finally {
      callee.destroy();
      if (!callee.waitFor(30, TimeUnit.SECONDS)) {
        callee.descendants().forEach(ProcessHandle::destroyForcibly);
        callee.destroyForcibly();
      }
    }
  }
}
