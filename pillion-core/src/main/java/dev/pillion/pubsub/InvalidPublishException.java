package dev.pillion.pubsub;

/**
 * A publish request is malformed (empty topic, a CloudEvent that is not valid JSON, bad metadata).
 */
public class InvalidPublishException extends PubSubException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param pubsub the pub/sub component's name
   * @param message which field is wrong and why
   */
  public InvalidPublishException(String pubsub, String message) {
    super(pubsub, message, null);
  }
}
