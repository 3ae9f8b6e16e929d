package dev.pillion.cli;

import dev.pillion.server.ApiLog;
import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What {@code pillion run} prints: the runtime's log entries and its own status lines, one line
 * each: time, level, source and message, e.g. {@code 2025-06-01T12:00:00.123+02:00 INFO [WasmHost]
 * loaded component 'statestore'}. The source is the component's name for a component's own output
 * and the logger's last name otherwise. Line breaks and other control characters in a message are
 * escaped, so an entry is one line (and a component cannot forge entries); stack traces are printed
 * only at {@code --log-level debug}, otherwise a failure's type and message are appended to the
 * entry.
 *
 * <p>It replaces java.util.logging's root handlers while {@code pillion run} runs (their default
 * prints two lines per entry, the second naming a source method such as {@code
 * lambda$envFunctions$0}) and restores them on {@link #close()}; library users of Pillion keep
 * whatever logging their application configures.
 */
final class ConsoleLog implements AutoCloseable {
  /** Loggers of Pillion's own code and components; third-party ones stay at INFO or above. */
  private static final String PILLION_LOGGERS = "dev.pillion";

  private static final String COMPONENT_LOGGERS = "dev.pillion.component.";

  /** The source shown on the lines of {@code pillion run} itself. */
  static final String STATUS_SOURCE = "cli";

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());

  private final PrintWriter out;
  private final PrintWriter err;
  private final LineFormatter formatter;
  private final OutputHandler handler;
  private final Logger root = Logger.getLogger("");
  // Held for the whole run: java.util.logging keeps loggers weakly, and a collected logger loses
  // the level set on it.
  private final Logger pillion = Logger.getLogger(PILLION_LOGGERS);
  private final Logger api = Logger.getLogger(ApiLog.LOGGER_NAME);
  private final List<Handler> previousHandlers = new ArrayList<>();
  private final Level previousRootLevel;
  private final Level previousPillionLevel;
  private final Level previousApiLevel;

  private ConsoleLog(PrintWriter out, PrintWriter err, LogLevel level, boolean apiLogging) {
    this.out = out;
    this.err = err;
    this.formatter = new LineFormatter(level == LogLevel.DEBUG);
    this.handler = new OutputHandler();
    previousRootLevel = root.getLevel();
    previousPillionLevel = pillion.getLevel();
    previousApiLevel = api.getLevel();
    for (Handler existing : root.getHandlers()) {
      previousHandlers.add(existing);
      root.removeHandler(existing);
    }
    root.addHandler(handler);
    Level chosen = level.julLevel();
    root.setLevel(chosen.intValue() < Level.INFO.intValue() ? Level.INFO : chosen);
    pillion.setLevel(chosen);
    if (apiLogging) {
      // As in daprd, API calls are shown whatever the log level.
      api.setLevel(chosen.intValue() < Level.INFO.intValue() ? chosen : Level.INFO);
    }
  }

  /**
   * Routes java.util.logging to the console until {@link #close()}.
   *
   * @param out where log entries and status lines go
   * @param err where failures of {@code pillion run} itself go
   * @param level the {@code --log-level}
   * @param apiLogging whether API calls are logged (shown even above INFO)
   * @return the installed console log
   */
  static ConsoleLog install(PrintWriter out, PrintWriter err, LogLevel level, boolean apiLogging) {
    return new ConsoleLog(out, err, level, apiLogging);
  }

  /**
   * Prints a status line of {@code pillion run} (starting, ready, the application's start and
   * exit), whatever the log level, as the dapr CLI prints its own lines.
   *
   * @param message the line's message
   */
  void status(String message) {
    write(out, Level.INFO, STATUS_SOURCE, message);
  }

  /**
   * Prints why {@code pillion run} fails, on the error stream.
   *
   * @param message what went wrong
   */
  void failure(String message) {
    write(err, Level.SEVERE, STATUS_SOURCE, message);
  }

  private void write(PrintWriter stream, Level level, String source, String message) {
    LogRecord record = new LogRecord(level, message);
    record.setLoggerName(source);
    print(stream, formatter.format(record));
  }

  private synchronized void print(PrintWriter stream, String text) {
    stream.print(text);
    stream.flush();
  }

  /** Removes the console handler and restores the previous handlers and levels. */
  @Override
  public void close() {
    root.removeHandler(handler);
    previousHandlers.forEach(root::addHandler);
    root.setLevel(previousRootLevel);
    pillion.setLevel(previousPillionLevel);
    api.setLevel(previousApiLevel);
  }

  /** Writes formatted entries to the output stream, each at once. */
  private final class OutputHandler extends Handler {
    OutputHandler() {
      setFormatter(formatter);
      setLevel(Level.ALL);
    }

    @Override
    public void publish(LogRecord record) {
      if (isLoggable(record)) {
        print(out, getFormatter().format(record));
      }
    }

    @Override
    public void flush() {
      out.flush();
    }

    @Override
    public void close() {
      flush();
    }
  }

  /** One entry, one line: time, level, source, message (and at debug, the stack trace). */
  static final class LineFormatter extends Formatter {
    private final boolean stackTraces;

    /**
     * Creates the formatter.
     *
     * @param stackTraces whether a failure's stack trace follows its entry (debug)
     */
    LineFormatter(boolean stackTraces) {
      this.stackTraces = stackTraces;
    }

    @Override
    public String format(LogRecord record) {
      StringBuilder line =
          new StringBuilder(128)
              .append(TIME.format(record.getInstant()))
              .append(' ')
              .append(String.format("%-5s", levelName(record.getLevel())))
              .append(" [")
              .append(oneLine(source(record.getLoggerName())))
              .append("] ");
      String message = formatMessage(record);
      Throwable thrown = record.getThrown();
      if (thrown != null && !stackTraces) {
        String reason = thrown.getMessage();
        if (reason == null || message == null || !message.contains(reason)) {
          message = message + ": " + thrown.getClass().getSimpleName() + ": " + reason;
        }
      }
      line.append(oneLine(message)).append(System.lineSeparator());
      if (thrown != null && stackTraces) {
        appendStackTrace(line, thrown);
      }
      return line.toString();
    }

    /** DEBUG, INFO, WARN, ERROR as in daprd; java.util.logging's finer levels are TRACE. */
    static String levelName(Level level) {
      int value = level.intValue();
      if (value >= Level.SEVERE.intValue()) {
        return "ERROR";
      }
      if (value >= Level.WARNING.intValue()) {
        return "WARN";
      }
      if (value >= Level.CONFIG.intValue()) {
        return "INFO";
      }
      return value >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
    }

    /** A component's name for its own output, else the last part of the logger's name. */
    static String source(String loggerName) {
      if (loggerName == null || loggerName.isEmpty()) {
        return "-";
      }
      if (loggerName.startsWith(COMPONENT_LOGGERS)
          && loggerName.length() > COMPONENT_LOGGERS.length()) {
        return loggerName.substring(COMPONENT_LOGGERS.length());
      }
      return loggerName.substring(loggerName.lastIndexOf('.') + 1);
    }

    /**
     * The text with line breaks, tabs and other control characters (also Unicode's line and
     * paragraph separators) escaped, so it stays on one line.
     */
    static String oneLine(String text) {
      if (text == null) {
        return "null";
      }
      StringBuilder escaped = null;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        String replacement =
            switch (c) {
              case '\n' -> "\\n";
              case '\r' -> "\\r";
              case '\t' -> "\\t";
              default ->
                  Character.isISOControl(c) || c == '\u2028' || c == '\u2029'
                      ? String.format("\\u%04x", (int) c)
                      : null;
            };
        if (replacement != null && escaped == null) {
          escaped = new StringBuilder(text.length() + 16).append(text, 0, i);
        }
        if (escaped != null) {
          if (replacement != null) {
            escaped.append(replacement);
          } else {
            escaped.append(c);
          }
        }
      }
      return escaped == null ? text : escaped.toString();
    }

    private static void appendStackTrace(StringBuilder out, Throwable thrown) {
      String prefix = "";
      Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
      for (Throwable t = thrown; t != null && seen.add(t); t = t.getCause()) {
        out.append(prefix).append(oneLine(t.toString())).append(System.lineSeparator());
        for (StackTraceElement frame : t.getStackTrace()) {
          out.append("\tat ").append(frame).append(System.lineSeparator());
        }
        prefix = "Caused by: ";
      }
    }
  }
}
