package dev.pillion.pubsub;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where declared subscriptions deliver: the app's routes. In server mode the app is reached over
 * HTTP; embedded, routes map to handlers in the same JVM ({@link #of(Map)}).
 */
@FunctionalInterface
public interface AppChannel {
  /**
   * Delivers an event to one route of the app.
   *
   * @param route the path, e.g. {@code /orders}
   * @param event the event
   * @return what the app said
   * @throws Exception a failed delivery, treated as a retry
   */
  DeliveryResult deliver(String route, Event event) throws Exception;

  /**
   * Delivers a batch of a bulk subscription to one route of the app, which answers each entry on
   * its own. This default delivers the entries one at a time with {@link #deliver}; a failed
   * delivery retries its entry. Channels that carry a batch in one request (HTTP: Dapr's bulk
   * envelope) override it.
   *
   * @param route the path, e.g. {@code /orders}
   * @param entries the entries, all of one topic
   * @return the outcome of each entry by entry id; an entry left out is retried
   * @throws Exception a failed delivery of the whole batch, treated as a retry of every entry
   */
  default Map<String, DeliveryResult> deliverBulk(String route, List<BulkEntry> entries)
      throws Exception {
    Map<String, DeliveryResult> results = new LinkedHashMap<>();
    for (BulkEntry entry : entries) {
      DeliveryResult result;
      try {
        result = deliver(route, entry.event());
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        System.getLogger(AppChannel.class.getName())
            .log(
                System.Logger.Level.INFO,
                "delivery of event " + entry.event().id() + " to " + route + " failed: " + e);
        result = DeliveryResult.RETRY;
      }
      results.put(entry.entryId(), result);
    }
    return results;
  }

  /**
   * Routes served by handlers in this JVM. An event routed to a path without a handler is dropped
   * with a warning (like an app answering 404).
   *
   * @param handlers handler by route
   * @return the channel
   */
  static AppChannel of(Map<String, EventHandler> handlers) {
    Map<String, EventHandler> copy = Map.copyOf(handlers);
    return (route, event) -> {
      EventHandler handler = copy.get(route);
      if (handler == null) {
        System.getLogger(AppChannel.class.getName())
            .log(
                System.Logger.Level.WARNING,
                "no handler for route " + route + "; event " + event.id() + " dropped");
        return DeliveryResult.DROP;
      }
      return Objects.requireNonNull(handler.handle(event), "handler returned null");
    };
  }
}
