package dev.pillion.state;

import java.util.Optional;

/** Dapr's consistency option. */
public enum Consistency {
  /** The store may answer from a replica that has not seen the latest write. The default. */
  EVENTUAL("eventual"),
  /** The store answers only once the write is confirmed by a quorum. */
  STRONG("strong");

  private final String value;

  Consistency(String value) {
    this.value = value;
  }

  /**
   * The wire value, {@code eventual} or {@code strong}.
   *
   * @return the value
   */
  public String value() {
    return value;
  }

  /**
   * Parses a wire value.
   *
   * @param value {@code eventual} or {@code strong}
   * @return the option, or empty if the value is not one of them
   */
  public static Optional<Consistency> parse(String value) {
    for (Consistency c : values()) {
      if (c.value.equals(value)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
