package dev.pillion.state;

import java.util.Optional;

/** Dapr's concurrency option for writes. */
public enum Concurrency {
  /**
   * The write succeeds only if the etag matches, or, without an etag, only if the item does not
   * exist.
   */
  FIRST_WRITE("first-write"),
  /** The last write wins (etags are still checked when given). The default. */
  LAST_WRITE("last-write");

  private final String value;

  Concurrency(String value) {
    this.value = value;
  }

  /**
   * The wire value, {@code first-write} or {@code last-write}.
   *
   * @return the value
   */
  public String value() {
    return value;
  }

  /**
   * Parses a wire value.
   *
   * @param value {@code first-write} or {@code last-write}
   * @return the option, or empty if the value is not one of them
   */
  public static Optional<Concurrency> parse(String value) {
    for (Concurrency c : values()) {
      if (c.value.equals(value)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
