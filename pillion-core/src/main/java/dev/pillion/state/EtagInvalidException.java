package dev.pillion.state;

/** The etag given is not one this store could have issued. */
public class EtagInvalidException extends StateException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final String detail;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param key the key whose etag is invalid
   * @param detail what the component said
   */
  public EtagInvalidException(String store, String key, String detail) {
    super(store, "invalid etag for key '" + key + "': " + detail, null);
    this.key = key;
    this.detail = detail;
  }

  /**
   * The key whose etag is invalid.
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
