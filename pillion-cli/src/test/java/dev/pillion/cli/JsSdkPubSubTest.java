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
 * Pub/sub through the official Dapr JavaScript SDK ({@code @dapr/dapr}, pinned in {@code
 * sdk-tests/js/package-lock.json}): {@code pillion run} starts {@code sdk-tests/js/pubsub.js} as
 * its app, a {@code DaprServer} with a normal, a raw-payload and two bulk subscriptions whose
 * {@code DaprClient} publishes to them; the script checks what its handlers receive and writes a
 * report. Skipped only when Node.js is not installed; {@code scripts/install-toolchain.sh} installs
 * it and runs {@code npm ci} in {@code sdk-tests/js}.
 */
class JsSdkPubSubTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void theJsSdksDaprServerGetsNormalRawPayloadAndBulkSubscriptions() throws Exception {
    String node = JsSdk.requireNode("pub/sub");
    Path js = JsSdk.directory();
    Path resources = Files.createDirectory(dir.resolve("resources"));
    Files.writeString(
        resources.resolve("pubsub.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\n"
            + "spec:\n  type: pubsub.in-memory\n  version: v1\n");
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
            "js-sdk-app",
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
            js.resolve("pubsub.js").toString(),
            report.toString());

    String written = Files.exists(report) ? Files.readString(report) : "(no report written)";
    assertThat(exit)
        .as("node %s: pubsub.js exited %d; report: %s%nstderr: %s", node, exit, written, err)
        .isZero();
    JsonNode result = JSON.readTree(written);
    assertThat(result.path("failures")).as(written).isEmpty();
    assertThat(result.path("checks"))
        .extracting(JsonNode::asText)
        .containsExactly(
            "normal: data",
            "normal: pubsubname header",
            "normal: metadata header",
            "raw publish -> raw subscriber",
            "CloudEvent publish -> raw subscriber",
            "raw publish -> CloudEvent subscriber",
            "bulk: every event, the retried one twice",
            "bulk raw payload");
  }
}
