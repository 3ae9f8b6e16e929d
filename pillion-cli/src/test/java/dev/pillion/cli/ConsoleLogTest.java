package dev.pillion.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.server.ApiLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class ConsoleLogTest {
  private static final String TIME =
      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)";

  private static String format(boolean debug, Level level, String logger, String message) {
    return format(debug, level, logger, message, null);
  }

  private static String format(
      boolean debug, Level level, String logger, String message, Throwable thrown) {
    LogRecord record = new LogRecord(level, message);
    record.setLoggerName(logger);
    record.setThrown(thrown);
    return new ConsoleLog.LineFormatter(debug).format(record);
  }

  @Test
  void anEntryIsOneLineOfTimeLevelSourceAndMessage() {
    assertThat(format(false, Level.INFO, "dev.pillion.wasm.WasmHost", "loaded"))
        .matches(TIME + " INFO  \\[WasmHost\\] loaded" + System.lineSeparator());
    assertThat(format(false, Level.WARNING, "io.netty.channel.ChannelPipeline", "dropped"))
        .matches(TIME + " WARN  \\[ChannelPipeline\\] dropped\\R");
    assertThat(format(false, Level.SEVERE, "dev.pillion.server.PillionServer", "x"))
        .matches(TIME + " ERROR \\[PillionServer\\] x\\R");
    assertThat(format(true, Level.FINE, "dev.pillion.wasm.WasmHost", "x"))
        .matches(TIME + " DEBUG \\[WasmHost\\] x\\R");
    assertThat(format(true, Level.FINER, "dev.pillion.wasm.WasmHost", "x"))
        .matches(TIME + " TRACE \\[WasmHost\\] x\\R");
  }

  @Test
  void aComponentsOwnOutputNamesTheComponent() {
    assertThat(format(false, Level.INFO, "dev.pillion.component.orders.v2", "hello"))
        .matches(TIME + " INFO  \\[orders\\.v2\\] hello\\R");
  }

  @Test
  void lineBreaksAndControlCharactersAreEscapedSoAnEntryCannotForgeAnother() {
    String forged = "first\n2025-01-01T00:00:00.000Z ERROR [cli] forged\r\tend\u001b[31m\u2028";
    String line = format(false, Level.INFO, "dev.pillion.component.evil", forged);
    assertThat(line.lines()).hasSize(1);
    assertThat(line)
        .endsWith(
            "[evil] first\\n2025-01-01T00:00:00.000Z ERROR [cli] forged\\r\\tend\\u001b[31m\\u2028"
                + System.lineSeparator());
  }

  @Test
  void aFailureIsNamedOnTheSameLineAndItsStackTraceShownOnlyAtDebug() {
    IOException failure =
        new IOException("GET /dapr/subscribe answered HTTP 500", new IllegalStateException("x"));

    String info =
        format(
            false, Level.SEVERE, "dev.pillion.server.PillionServer", "no subscriptions", failure);
    assertThat(info.lines())
        .containsExactly(info.lines().findFirst().orElseThrow())
        .first()
        .asString()
        .endsWith("no subscriptions: IOException: GET /dapr/subscribe answered HTTP 500");

    String alreadySaid =
        format(
            false,
            Level.SEVERE,
            "dev.pillion.server.PillionServer",
            "cannot start the app's subscriptions: GET /dapr/subscribe answered HTTP 500",
            failure);
    assertThat(alreadySaid)
        .endsWith(
            "] cannot start the app's subscriptions: GET /dapr/subscribe answered HTTP 500"
                + System.lineSeparator());

    String debug =
        format(true, Level.SEVERE, "dev.pillion.server.PillionServer", "failed", failure);
    List<String> lines = debug.lines().toList();
    assertThat(lines.get(0)).endsWith("[PillionServer] failed");
    assertThat(lines.get(1))
        .isEqualTo("java.io.IOException: GET /dapr/subscribe answered HTTP 500");
    assertThat(lines.get(2)).startsWith("\tat dev.pillion.cli.ConsoleLogTest.");
    assertThat(lines).contains("Caused by: java.lang.IllegalStateException: x");
  }

  @Test
  void aCycleOfCausesEnds() {
    IllegalStateException first = new IllegalStateException("first");
    IllegalStateException second = new IllegalStateException("second", first);
    first.initCause(second);
    String debug = format(true, Level.SEVERE, "x", "failed", first);
    assertThat(debug.lines().filter(line -> line.contains("IllegalStateException"))).hasSize(2);
  }

  /** Logs through System.Logger, as Pillion's code does, into a console log at a level. */
  private static String logAt(LogLevel level, boolean apiLogging) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    try (ConsoleLog console =
        ConsoleLog.install(new PrintWriter(out), new PrintWriter(err), level, apiLogging)) {
      System.getLogger("dev.pillion.wasm.WasmHost").log(System.Logger.Level.DEBUG, "pillion debug");
      System.getLogger("dev.pillion.Pillion").log(System.Logger.Level.INFO, "pillion info");
      System.getLogger("dev.pillion.Pillion").log(System.Logger.Level.WARNING, "pillion warn");
      System.getLogger("dev.pillion.Pillion").log(System.Logger.Level.ERROR, "pillion error");
      System.getLogger("io.netty.Something").log(System.Logger.Level.DEBUG, "netty debug");
      System.getLogger("io.netty.Something").log(System.Logger.Level.INFO, "netty info");
      ApiLog.call("HTTP", "GET /v1.0/healthz", "204", 1000);
      console.status("pillion ready");
      console.failure("it broke");
    }
    assertThat(err.toString()).matches(TIME + " ERROR \\[cli\\] it broke\\R");
    return out.toString();
  }

  @Test
  void theLogLevelFiltersPillionsEntriesButNotTheStatusLines() {
    assertThat(logAt(LogLevel.INFO, false))
        .doesNotContain("pillion debug", "netty debug")
        .contains("pillion info", "pillion warn", "pillion error", "netty info")
        .contains("INFO  [cli] pillion ready");
    // Third-party loggers stay at INFO: their debug output is not Pillion's.
    assertThat(logAt(LogLevel.DEBUG, false))
        .contains("DEBUG [WasmHost] pillion debug", "pillion info", "netty info")
        .doesNotContain("netty debug");
    assertThat(logAt(LogLevel.WARN, false))
        .doesNotContain("pillion info", "netty info")
        .contains("pillion warn", "pillion error", "[cli] pillion ready");
    assertThat(logAt(LogLevel.ERROR, false))
        .doesNotContain("pillion warn")
        .contains("pillion error", "[cli] pillion ready");
  }

  @Test
  void apiCallsAreShownWhateverTheLogLevelWhenApiLoggingIsOn() {
    assertThat(logAt(LogLevel.ERROR, true))
        .contains("INFO  [api] HTTP API called: GET /v1.0/healthz, status 204, 0.00 ms")
        .doesNotContain("pillion warn");
  }

  @Test
  void closingRestoresTheHandlersAndLevelsItReplaced() {
    Logger root = Logger.getLogger("");
    List<Handler> before = List.of(root.getHandlers());
    Level rootLevel = root.getLevel();
    Level pillionLevel = Logger.getLogger("dev.pillion").getLevel();
    logAt(LogLevel.DEBUG, true);
    assertThat(root.getHandlers()).containsExactlyElementsOf(before);
    assertThat(root.getLevel()).isEqualTo(rootLevel);
    assertThat(Logger.getLogger("dev.pillion").getLevel()).isEqualTo(pillionLevel);
    assertThat(Logger.getLogger(ApiLog.LOGGER_NAME).getLevel()).isNull();
  }
}
