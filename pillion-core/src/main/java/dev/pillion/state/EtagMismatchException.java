package dev.pillion.state;

/**
 * The etag given does not match the stored item's (or, with first-write concurrency, the item
 * already exists). Read the item again and retry with its current etag.
 */
public class EtagMismatchException extends EtagException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param key the key whose etag did not match
   * @param detail what the component said
   */
  public EtagMismatchException(String store, String key, String detail) {
    super(store, key, "possible etag mismatch", detail);
  }
}
