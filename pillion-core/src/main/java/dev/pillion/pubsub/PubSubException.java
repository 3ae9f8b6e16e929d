package dev.pillion.pubsub;

import dev.pillion.abi.PillionException;

/**
 * A pub/sub operation failed; the message names the pub/sub component and the topic where they
 * apply.
 */
public class PubSubException extends PillionException {
  private static final long serialVersionUID = 1L;

  private final String pubsub;

  /**
   * Creates the exception.
   *
   * @param pubsub the pub/sub component's name
   * @param message what went wrong
   * @param cause the underlying failure, or null
   */
  public PubSubException(String pubsub, String message, Throwable cause) {
    super("pubsub '" + pubsub + "': " + message, cause);
    this.pubsub = pubsub;
  }

  /**
   * The pub/sub component involved.
   *
   * @return its name
   */
  public String pubsub() {
    return pubsub;
  }
}
