package dev.pillion.state;

/** The etag given is not one this store could have issued. */
public class EtagInvalidException extends EtagException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param store the state store's name
   * @param key the key whose etag is invalid
   * @param detail what the component said
   */
  public EtagInvalidException(String store, String key, String detail) {
    super(store, key, "invalid etag", detail);
  }
}
