package dev.pillion.pubsub;

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
