package dev.pillion.state.spi;

import dev.pillion.state.InvalidStateRequestException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.OptionalLong;

/** Request metadata Dapr defines for state, parsed with Dapr's rules and error messages. */
public final class StateMetadata {
  /** Time to live in seconds; -1 means none. */
  public static final String TTL_IN_SECONDS = "ttlInSeconds";

  /** RFC 3339 expiry returned with items that have a TTL. */
  public static final String TTL_EXPIRE_TIME = "ttlExpireTime";

  private StateMetadata() {}

  /**
   * Parses {@code ttlInSeconds}.
   *
   * @param store the store, for the error message
   * @param metadata the request metadata
   * @return the TTL in seconds (-1 or more), or empty when absent or blank
   * @throws InvalidStateRequestException when the value is not an integer of -1 or more
   */
  public static OptionalLong ttlSeconds(String store, Map<String, String> metadata) {
    String value = metadata.get(TTL_IN_SECONDS);
    if (value == null || value.isEmpty()) {
      return OptionalLong.empty();
    }
    long ttl;
    try {
      ttl = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new InvalidStateRequestException(
          store,
          "incorrect value for metadata '"
              + TTL_IN_SECONDS
              + "': '"
              + value
              + "' is not an integer");
    }
    if (ttl < -1) {
      throw new InvalidStateRequestException(
          store,
          "incorrect value for metadata '"
              + TTL_IN_SECONDS
              + "': must be -1 or greater, got "
              + ttl);
    }
    return OptionalLong.of(ttl);
  }

  /**
   * Formats an expiry as Dapr does (RFC 3339, UTC, whole seconds).
   *
   * @param expiry the instant
   * @return e.g. {@code 2026-11-24T20:13:49Z}
   */
  public static String formatExpireTime(Instant expiry) {
    return DateTimeFormatter.ISO_INSTANT.format(expiry.truncatedTo(ChronoUnit.SECONDS));
  }
}
