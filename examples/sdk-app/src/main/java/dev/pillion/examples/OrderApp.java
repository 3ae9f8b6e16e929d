package dev.pillion.examples;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.sdk.embedded.EmbeddedDapr;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.domain.State;
import java.util.List;

/**
 * An ordinary Dapr Java SDK application. The same {@link #placeOrders(DaprClient)} code runs
 *
 * <ul>
 *   <li>against daprd or {@code pillion run}: {@code bin/pillion run --app-id orders -- java -jar
 *       examples/sdk-app/target/sdk-app.jar} (the SDK reads DAPR_GRPC_PORT from the environment);
 *   <li>fully embedded, no sidecar and no socket: {@code java -jar
 *       examples/sdk-app/target/sdk-app.jar --embedded}.
 * </ul>
 */
public final class OrderApp {
  private OrderApp() {}

  /**
   * Saves, reads and deletes orders through the Dapr state API.
   *
   * @param client any Dapr client
   */
  static void placeOrders(DaprClient client) {
    for (int i = 1; i <= 3; i++) {
      client.saveState("statestore", "order-" + i, "{\"id\":" + i + ",\"item\":\"book\"}").block();
    }
    List<State<String>> orders =
        client
            .getBulkState("statestore", List.of("order-1", "order-2", "order-3"), String.class)
            .block();
    for (State<String> order : orders) {
      System.out.println(
          "read " + order.getKey() + " = " + order.getValue() + " (etag " + order.getEtag() + ")");
    }
    client.deleteState("statestore", "order-1").block();
    System.out.println(
        "order-1 after delete: "
            + client.getState("statestore", "order-1", String.class).block().getValue());
  }

  /**
   * Runs the app.
   *
   * @param args {@code --embedded} to run with an embedded runtime
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--embedded")) {
      try (Pillion runtime =
              Pillion.builder()
                  .appId("orders")
                  .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
                  .build();
          EmbeddedDapr dapr = EmbeddedDapr.start(runtime);
          DaprClient client = dapr.client()) {
        System.out.println("embedded runtime, no sidecar");
        placeOrders(client);
      }
      return;
    }
    try (DaprClient client = new DaprClientBuilder().build()) {
      System.out.println("talking to the Dapr API on gRPC port " + System.getenv("DAPR_GRPC_PORT"));
      placeOrders(client);
    }
  }
}
