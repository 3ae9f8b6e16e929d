package dev.pillion.state;

/**
 * The etag given does not match the stored item's (or, with first-write concurrency, the item
 * already exists). Read the item again and retry with its current etag.
 */
public class EtagMismatchException extends StateException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final String detail;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param key the key whose etag did not match
   * @param detail what the component said
   */
  public EtagMismatchException(String store, String key, String detail) {
    super(store, "possible etag mismatch for key '" + key + "': " + detail, null);
    this.key = key;
    this.detail = detail;
  }

  /**
   * The key whose etag did not match.
   *
   * @return the key as the application gave it
   */
  public String key() {
    return key;
  }

  /**
   * What the component said, without the store and key.
   *
   * @return the detail
   */
  public String detail() {
    return detail;
  }
}
