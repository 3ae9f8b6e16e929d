package dev.pillion.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parsers for option values written as daprd writes them. */
final class CliValues {
  private static final Pattern SIZE = Pattern.compile("(\\d+)(Ki|Mi|Gi|k|M|G)?");
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h)");

  private CliValues() {}

  /**
   * A size in bytes, as a Kubernetes quantity like daprd's {@code --max-body-size}: {@code
   * 4194304}, {@code 512Ki}, {@code 4Mi}, {@code 1Gi}, or decimal {@code 500k}, {@code 4M}.
   *
   * @param text the value
   * @return bytes
   * @throws TypeConversionException when it is not a size or not between 1 byte and 2 GiB
   */
  static int bytes(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new TypeConversionException(
          "'" + text + "' is not a size (examples: 4194304, 512Ki, 4Mi)");
    }
    long unit =
        m.group(2) == null
            ? 1
            : switch (m.group(2)) {
              case "Ki" -> 1L << 10;
              case "Mi" -> 1L << 20;
              case "Gi" -> 1L << 30;
              case "k" -> 1000L;
              case "M" -> 1000_000L;
              default -> 1000_000_000L;
            };
    long value;
    try {
      value = Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      value = Long.MAX_VALUE;
    }
    if (value < 1 || value > Integer.MAX_VALUE) {
      throw new TypeConversionException(
          "'" + text + "' must be between 1 byte and 2Gi (2147483647 bytes)");
    }
    return (int) value;
  }

  /**
   * A duration as Go writes it: {@code 500ms}, {@code 60s}, {@code 5m}, {@code 1h}, {@code 1m30s};
   * {@code 0} for none.
   *
   * @param text the value
   * @return the duration
   * @throws TypeConversionException when it is not a duration
   */
  static Duration duration(String text) {
    String value = text.trim();
    if (value.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = DURATION_PART.matcher(value);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long amount;
      try {
        amount = Long.parseLong(m.group(1));
        total =
            total.plus(
                switch (m.group(2)) {
                  case "ms" -> Duration.ofMillis(amount);
                  case "s" -> Duration.ofSeconds(amount);
                  case "m" -> Duration.ofMinutes(amount);
                  default -> Duration.ofHours(amount);
                });
      } catch (ArithmeticException | NumberFormatException e) {
        throw new TypeConversionException("'" + text + "' is too long a duration");
      }
      end = m.end();
    }
    if (end == 0 || end != value.length()) {
      throw new TypeConversionException(
          "'" + text + "' is not a duration (examples: 500ms, 60s, 5m, 1m30s; 0 for none)");
    }
    return total;
  }

  /** {@link #bytes} for picocli. */
  static final class Bytes implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return bytes(value);
    }
  }

  /** {@link #duration} for picocli. */
  static final class GoDuration implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return duration(value);
    }
  }
}
