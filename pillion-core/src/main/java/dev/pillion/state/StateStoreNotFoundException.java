package dev.pillion.state;

import java.util.Collection;

/** No state store with the requested name is loaded. */
public class StateStoreNotFoundException extends StateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param store the requested name
   * @param available the names that are loaded
   */
  public StateStoreNotFoundException(String store, Collection<String> available) {
    super(
        store,
        available.isEmpty()
            ? "not found: no state stores are configured"
            : "not found (configured state stores: " + String.join(", ", available) + ")",
        null);
  }
}
