package dev.pillion.examples.quickstart;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.NavigableSet;
import java.util.stream.Collectors;

/**
 * Dapr's pub/sub quickstart under one {@code pillion run}: this process is order-processor (the app
 * on {@code APP_PORT}); once the runtime reports healthy, which it does only after reading
 * order-processor's subscriptions, checkout runs as a second process beside it, as {@code dapr run
 * -f .} runs the quickstart's two apps. Exits 0 when every order checkout published has arrived.
 *
 * <pre>{@code
 * bin/pillion run --app-id order-processor --app-port 6001 \
 *     --resources-path examples/pubsub-quickstart/components \
 *     -- java -jar examples/pubsub-quickstart/target/pubsub-quickstart.jar [--orders N] [--report FILE]
 * }</pre>
 */
public final class Quickstart {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(30);

  private Quickstart() {}

  /**
   * Runs both apps.
   *
   * @param args {@code --orders N} (default 10), {@code --report FILE} (the received order ids, one
   *     a line)
   * @throws Exception when an app cannot start
   */
  public static void main(String[] args) throws Exception {
    int orders = 10;
    Path report = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--orders" -> orders = Integer.parseInt(value(args, ++i));
        case "--report" -> report = Path.of(value(args, ++i));
        default ->
            throw new IllegalArgumentException(
                "unknown argument '" + args[i] + "' (use --orders N, --report FILE)");
      }
    }
    NavigableSet<Integer> received;
    try (OrderProcessor processor = OrderProcessor.start(appPort())) {
      awaitRuntimeReady();
      int checkout = runCheckout(orders);
      if (checkout != 0) {
        System.err.println("checkout exited with code " + checkout);
        System.exit(checkout);
      }
      received = processor.awaitOrders(orders, DELIVERY_TIMEOUT);
    }
    if (report != null) {
      Files.writeString(
          report,
          received.stream().map(String::valueOf).collect(Collectors.joining("\n", "", "\n")));
    }
    System.out.println("order-processor received " + received.size() + " of " + orders + " orders");
    if (received.size() != orders) {
      System.exit(1);
    }
  }

  private static String value(String[] args, int index) {
    if (index >= args.length) {
      throw new IllegalArgumentException(args[index - 1] + " needs a value");
    }
    return args[index];
  }

  /** The app port {@code pillion run --app-port} passes. */
  static int appPort() {
    return Integer.parseInt(requiredEnv("APP_PORT", "run it under pillion run --app-port"));
  }

  private static String requiredEnv(String name, String hint) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) {
      throw new IllegalStateException(name + " is not set: " + hint);
    }
    return value;
  }

  /**
   * Waits for {@code GET /v1.0/healthz} to answer 204: the runtime has read this app's
   * subscriptions and started them, so nothing checkout publishes from now on can miss them.
   */
  private static void awaitRuntimeReady() throws IOException, InterruptedException {
    String port = requiredEnv("DAPR_HTTP_PORT", "run it under pillion run");
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest health =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1.0/healthz"))
            .timeout(Duration.ofSeconds(5))
            .build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 204) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the runtime did not become healthy within " + READY_TIMEOUT + ": " + response.body());
      }
      Thread.sleep(20);
    }
  }

  /** Runs checkout as a process of its own, with this process's environment (the Dapr ports). */
  private static int runCheckout(int orders) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process checkout =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                Checkout.class.getName(),
                Integer.toString(orders))
            .inheritIO()
            .start();
    return checkout.waitFor();
  }
}
