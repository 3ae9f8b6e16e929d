package dev.pillion.examples.quickstart;

import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;

/**
 * The quickstart's publisher, checkout: an ordinary Dapr Java SDK program that publishes orders to
 * the {@code orders} topic of {@code orderpubsub}. It finds the runtime as any SDK app does,
 * through {@code DAPR_HTTP_PORT} and {@code DAPR_GRPC_PORT}.
 */
public final class Checkout {
  /** The pub/sub component of the quickstart. */
  public static final String PUBSUB = "orderpubsub";

  /** The topic orders go to. */
  public static final String TOPIC = "orders";

  private Checkout() {}

  /**
   * Publishes orders 1 to N.
   *
   * @param args the number of orders (default 10)
   * @throws Exception when the runtime cannot be reached or refuses a publish
   */
  public static void main(String[] args) throws Exception {
    int orders = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    try (DaprClient client = new DaprClientBuilder().build()) {
      for (int orderId = 1; orderId <= orders; orderId++) {
        client.publishEvent(PUBSUB, TOPIC, new Order(orderId)).block();
        System.out.println("Published data: " + orderId);
      }
    }
  }
}
