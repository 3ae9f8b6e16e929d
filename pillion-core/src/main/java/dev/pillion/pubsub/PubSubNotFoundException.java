package dev.pillion.pubsub;

import java.util.Collection;

/** No pub/sub component with the requested name is loaded. */
public class PubSubNotFoundException extends PubSubException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param pubsub the requested name
   * @param available the names that are loaded
   */
  public PubSubNotFoundException(String pubsub, Collection<String> available) {
    super(
        pubsub,
        available.isEmpty()
            ? "not found: no pub/sub components are configured"
            : "not found (configured pub/sub components: " + String.join(", ", available) + ")",
        null);
  }
}
