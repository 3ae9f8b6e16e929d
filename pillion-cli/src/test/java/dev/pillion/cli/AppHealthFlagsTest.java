package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** daprd's app health flags in {@code pillion run}: spellings, defaults and usage errors. */
class AppHealthFlagsTest {

  private static RunCommand parse(String... args) {
    CommandLine.ParseResult result = PillionCli.commandLine().parseArgs(args);
    return (RunCommand) result.subcommand().commandSpec().userObject();
  }

  private static String usageError(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = PillionCli.commandLine();
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setErr(new PrintWriter(err, true));
    assertThat(cli.execute(args)).isEqualTo(2);
    return err.toString();
  }

  @Test
  void theFlagsParseAsDaprdSpellsThem() {
    RunCommand run =
        parse(
            "run",
            "--app-id",
            "x",
            "--app-port",
            "3000",
            "--enable-app-health-check",
            "--app-health-check-path",
            "/ready",
            "--app-health-probe-interval",
            "2s",
            "--app-health-probe-timeout",
            "250ms",
            "--app-health-threshold",
            "5");
    assertThat(run.appHealthCheck).isTrue();
    assertThat(run.appHealthCheckPath).isEqualTo("/ready");
    assertThat(run.appHealthProbeInterval).isEqualTo(Duration.ofSeconds(2));
    assertThat(run.appHealthProbeTimeout).isEqualTo(Duration.ofMillis(250));
    assertThat(run.appHealthThreshold).isEqualTo(5);

    assertThat(parse("run", "--app-id", "x", "--enable-app-health-check=true").appHealthCheck)
        .isTrue();
    assertThat(parse("run", "--app-id", "x", "--enable-app-health-check=false").appHealthCheck)
        .isFalse();
  }

  @Test
  void theDefaultsAreDaprds() {
    RunCommand run = parse("run", "--app-id", "x");
    assertThat(run.appHealthCheck).isFalse();
    assertThat(run.appHealthCheckPath).isEqualTo("/healthz");
    assertThat(run.appHealthProbeInterval).isEqualTo(Duration.ofSeconds(5));
    assertThat(run.appHealthProbeTimeout).isEqualTo(Duration.ofMillis(500));
    assertThat(run.appHealthThreshold).isEqualTo(3);
  }

  @Test
  void badValuesAreUsageErrorsNamingTheFlag() {
    assertThat(usageError("run", "--app-id", "x", "--app-health-threshold", "0"))
        .contains("--app-health-threshold must be at least 1, got 0");
    assertThat(usageError("run", "--app-id", "x", "--app-health-check-path", "healthz"))
        .contains("--app-health-check-path must start with '/'");
    assertThat(usageError("run", "--app-id", "x", "--app-health-probe-interval", "0"))
        .contains("--app-health-probe-interval must be positive");
    assertThat(usageError("run", "--app-id", "x", "--app-health-probe-timeout", "soon"))
        .contains("--app-health-probe-timeout", "is not a duration");
    assertThat(usageError("run", "--app-id", "x", "--enable-app-health-check"))
        .contains("--enable-app-health-check needs the application's --app-port");
  }
}
