package dev.pillion.examples.quickstart;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.dapr.client.domain.CloudEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The quickstart's subscriber, order-processor: an HTTP app that declares its subscription exactly
 * as a Spring Boot app with the Dapr Java SDK's {@code @Topic(name = "orders", pubsubName =
 * "orderpubsub")} on {@code @PostMapping("/orders")} does, and reads each delivered event with the
 * SDK's {@code CloudEvent} type. (The SDK's Spring integration itself, {@code dapr-sdk-springboot},
 * is not published for 1.17.1, so this app answers {@code /dapr/subscribe} with the JSON that
 * integration produces, {@code pubsubName} spelled as it spells it.)
 */
public final class OrderProcessor implements AutoCloseable {
  /**
   * The answer of the SDK's Spring integration ({@code DaprTopicSubscription}, serialized without
   * nulls) for the quickstart's {@code @Topic}.
   */
  static final String SUBSCRIPTIONS =
      "[{\"pubsubName\":\""
          + Checkout.PUBSUB
          + "\",\"topic\":\""
          + Checkout.TOPIC
          + "\",\"route\":\"/orders\",\"deadLetterTopic\":\"\",\"metadata\":{}}]";

  /**
   * Reads a delivered event into the SDK's {@code CloudEvent<Order>} as Spring's
   * {@code @RequestBody CloudEvent<Order>} does: Jackson, unknown fields ignored (Spring Boot's
   * default).
   */
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private static final TypeReference<CloudEvent<Order>> ORDER_EVENT = new TypeReference<>() {};

  private final HttpServer server;
  private final NavigableSet<Integer> received = new ConcurrentSkipListSet<>();

  private OrderProcessor(HttpServer server) {
    this.server = server;
  }

  /**
   * Starts listening on loopback.
   *
   * @param port the app port ({@code APP_PORT})
   * @return the running app
   * @throws IOException when the port cannot be bound
   */
  public static OrderProcessor start(int port) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    OrderProcessor app = new OrderProcessor(server);
    server.createContext(
        "/dapr/subscribe", exchange -> respond(exchange, 200, "application/json", SUBSCRIPTIONS));
    server.createContext("/orders", app::order);
    server.start();
    return app;
  }

  private void order(HttpExchange exchange) throws IOException {
    CloudEvent<Order> event;
    try {
      event = JSON.readValue(exchange.getRequestBody().readAllBytes(), ORDER_EVENT);
    } catch (IOException e) {
      // Not an order: a 400, which the runtime retries, as a Spring app's would be.
      System.err.println("order-processor cannot read the event: " + e.getMessage());
      respond(exchange, 400, "text/plain", "");
      return;
    }
    int orderId = event.getData().orderId();
    received.add(orderId);
    System.out.println("Subscriber received: " + orderId);
    respond(exchange, 200, "text/plain", "");
  }

  private static void respond(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }

  /**
   * Waits until orders 1 to {@code count} have arrived, or the time is up.
   *
   * @param count how many orders are expected
   * @param timeout how long to wait
   * @return the order ids received so far, in order
   * @throws InterruptedException if interrupted while waiting
   */
  public NavigableSet<Integer> awaitOrders(int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (received.size() < count && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    return new ConcurrentSkipListSet<>(received);
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /**
   * Runs order-processor alone on {@code APP_PORT} until stopped.
   *
   * @param args unused
   * @throws IOException when the port cannot be bound
   */
  public static void main(String[] args) throws IOException {
    start(Quickstart.appPort());
    System.out.println("order-processor listening on port " + Quickstart.appPort());
  }
}
