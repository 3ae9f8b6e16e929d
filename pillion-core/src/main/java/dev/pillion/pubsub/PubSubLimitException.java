package dev.pillion.pubsub;

/**
 * A publish went past a limit of the pub/sub component (a subscription's {@code maxQueueDepth}, the
 * broker's {@code maxBytes}, the capacity of its store) and was refused whole: nothing was
 * published. The message names the limit; the publisher may retry once subscribers have caught up.
 */
public class PubSubLimitException extends PubSubException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param pubsub the pub/sub component's name
   * @param message which limit, and by how much
   * @param cause the underlying failure, or null
   */
  public PubSubLimitException(String pubsub, String message, Throwable cause) {
    super(pubsub, message, cause);
  }
}
