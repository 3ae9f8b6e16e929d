package dev.pillion.pubsub;

/**
 * A bulk publish whose entries do not each carry an entry id of their own (one is missing or
 * repeats another's). Entry ids are how the caller learns which entries failed, so such a request
 * is refused whole, before anything is published, as daprd refuses it.
 */
public final class BulkEntryIdException extends InvalidPublishException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param pubsub the pub/sub component's name
   * @param message which entry is wrong and why
   */
  public BulkEntryIdException(String pubsub, String message) {
    super(pubsub, message);
  }
}
