package dev.pillion.state;

/**
 * An etag problem with one key: the base of {@link EtagMismatchException} and {@link
 * EtagInvalidException}.
 */
public abstract class EtagException extends StateException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final String detail;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param key the key whose etag is wrong
   * @param what what is wrong, e.g. "possible etag mismatch"
   * @param detail what the component said
   */
  protected EtagException(String store, String key, String what, String detail) {
    super(store, what + " for key '" + key + "': " + detail, null);
    this.key = key;
    this.detail = detail;
  }

  /**
   * The key whose etag is wrong.
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
