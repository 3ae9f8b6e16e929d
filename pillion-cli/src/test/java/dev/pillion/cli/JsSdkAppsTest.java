package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The README's Wasm apps (examples/apps/resources: the Rust order service and the AssemblyScript
 * order counter) under {@code pillion run}, driven by the official Dapr JS SDK ({@code
 * sdk-tests/js/apps.js}): orders placed by app id through Pillion's HTTP API, one read back, and
 * the subscriber's count. The example manifests are used as they are, with free ports instead of
 * 8081 and 8082.
 */
class JsSdkAppsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void theJsSdkDrivesTheReadmesWasmApps() throws Exception {
    String node = JsSdk.requireNode("Wasm apps");
    Path examples = Path.of("..", "examples", "apps").toAbsolutePath().normalize();
    Path resources = Files.createDirectory(dir.resolve("resources"));
    try (var files = Files.list(examples.resolve("resources"))) {
      for (Path file : files.toList()) {
        // The manifests name their modules relative to their folder: point them at the examples.
        String yaml =
            Files.readString(file)
                .replace("module: ../", "module: " + examples + "/")
                .replaceAll("port: 808[0-9]", "port: 0");
        Files.writeString(resources.resolve(file.getFileName()), yaml);
      }
    }
    Path report = dir.resolve("report.json");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = PillionCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit =
        cli.execute(
            "run",
            "--app-id",
            "gateway",
            "--dapr-http-port",
            "0",
            "--dapr-grpc-port",
            "0",
            "--resources-path",
            resources.toString(),
            "--",
            "node",
            JsSdk.directory().resolve("apps.js").toString(),
            report.toString());
    String written = Files.exists(report) ? Files.readString(report) : "(no report written)";
    assertThat(exit)
        .as(
            "node %s: apps.js exited %d; report: %s%nout: %s%nstderr: %s",
            node, exit, written, out, err)
        .isZero();
    JsonNode result = JSON.readTree(written);
    assertThat(result.path("failures")).as(written).isEmpty();
    assertThat(result.path("checks"))
        .extracting(JsonNode::asText)
        .containsExactly(
            "orders numbered in sequence",
            "an order reads back",
            "the subscriber counted every order");
  }
}
