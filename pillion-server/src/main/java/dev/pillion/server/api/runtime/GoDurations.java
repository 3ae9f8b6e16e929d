package dev.pillion.server.api.runtime;

import java.math.BigDecimal;
import java.time.Duration;

/**
 * Durations written as Go's {@code time.Duration.String()} writes them ({@code 5s}, {@code 500ms},
 * {@code 1m30s}, {@code 1h0m0s}, {@code 1.5s}), which is how daprd's metadata reports its health
 * probe settings.
 */
final class GoDurations {
  private GoDurations() {}

  /**
   * Formats a duration as Go does.
   *
   * @param duration a duration, not negative
   * @return e.g. {@code 5s}
   */
  static String format(Duration duration) {
    long nanos = duration.toNanos();
    if (nanos == 0) {
      return "0s";
    }
    if (nanos < 1_000) {
      return nanos + "ns";
    }
    if (nanos < 1_000_000) {
      return decimal(nanos, 3) + "µs";
    }
    if (nanos < 1_000_000_000) {
      return decimal(nanos, 6) + "ms";
    }
    long hours = duration.toHours();
    long minutes = duration.toMinutesPart();
    String seconds = decimal(nanos % 60_000_000_000L, 9) + "s";
    if (hours > 0) {
      return hours + "h" + minutes + "m" + seconds;
    }
    if (minutes > 0) {
      return minutes + "m" + seconds;
    }
    return seconds;
  }

  /** A count of nanoseconds in a larger unit (10^scale ns), with no trailing zeros. */
  private static String decimal(long nanos, int scale) {
    BigDecimal value = BigDecimal.valueOf(nanos, scale).stripTrailingZeros();
    return value.scale() < 0 ? value.setScale(0).toPlainString() : value.toPlainString();
  }
}
