package dev.pillion.server;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits the HTTP API enforces on every connection.
 *
 * @param maxBodyBytes the largest request body, like daprd's {@code --max-body-size}
 * @param readBufferBytes like daprd's {@code --read-buffer-size}: the request line and the headers
 *     may each be up to this plus 4 KiB, as Go's HTTP server (which daprd uses) allows
 * @param readTimeout how long a request may take to arrive completely once its first byte came;
 *     zero disables the limit
 * @param idleTimeout how long a connection may stay open without a request in progress; zero
 *     disables the limit
 */
public record HttpLimits(
    int maxBodyBytes, int readBufferBytes, Duration readTimeout, Duration idleTimeout) {
  /** What Go's HTTP server reads beyond {@code MaxHeaderBytes} before refusing a request head. */
  static final int HEADER_SLACK_BYTES = 4096;

  /** The defaults of {@code pillion run} and {@link PillionServer}. */
  public static final HttpLimits DEFAULT =
      new HttpLimits(4 * 1024 * 1024, 4 * 1024, Duration.ofSeconds(60), Duration.ofMinutes(5));

  /**
   * Checks the limits.
   *
   * @throws IllegalArgumentException for a limit that is not positive (sizes) or negative
   *     (durations)
   */
  public HttpLimits {
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("the max body size must be positive, got " + maxBodyBytes);
    }
    if (readBufferBytes < 1 || readBufferBytes > Integer.MAX_VALUE - HEADER_SLACK_BYTES) {
      throw new IllegalArgumentException(
          "the read buffer size must be positive, got " + readBufferBytes);
    }
    Objects.requireNonNull(readTimeout, "readTimeout");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (readTimeout.isNegative()) {
      throw new IllegalArgumentException("the read timeout must not be negative: " + readTimeout);
    }
    if (idleTimeout.isNegative()) {
      throw new IllegalArgumentException("the idle timeout must not be negative: " + idleTimeout);
    }
  }

  /**
   * The longest request line (method, target, version) accepted.
   *
   * @return bytes
   */
  public int maxRequestLineBytes() {
    return readBufferBytes + HEADER_SLACK_BYTES;
  }

  /**
   * The largest header block accepted.
   *
   * @return bytes
   */
  public int maxHeaderBytes() {
    return readBufferBytes + HEADER_SLACK_BYTES;
  }
}
