package dev.pillion.pubsub;

/**
 * Handles events of a subscription. Returning {@link DeliveryResult#RETRY}, throwing, or running
 * past the subscription's handler timeout all count as a failed delivery and lead to a retry.
 */
@FunctionalInterface
public interface EventHandler {
  /**
   * Handles one event.
   *
   * @param event the event
   * @return what to do with it
   * @throws Exception any failure, treated as {@link DeliveryResult#RETRY}
   */
  DeliveryResult handle(Event event) throws Exception;
}
