package dev.pillion.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses durations written as Dapr (Go) writes them: {@code 5s}, {@code 500ms}, {@code 1m30s},
 * {@code 2h}.
 */
public final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @param text e.g. {@code 5s}
   * @return the duration
   * @throws IllegalArgumentException when the text is not a duration
   */
  public static Duration parse(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("empty duration");
    }
    Matcher matcher = PART.matcher(trimmed);
    int position = 0;
    double nanos = 0;
    while (matcher.find() && matcher.start() == position) {
      double amount = Double.parseDouble(matcher.group(1));
      nanos +=
          amount
              * switch (matcher.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1_000;
                case "ms" -> 1_000_000;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
              };
      position = matcher.end();
    }
    if (position != trimmed.length()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (use a number with a unit: 500ms, 5s, 1m)");
    }
    return Duration.ofNanos((long) nanos);
  }
}
