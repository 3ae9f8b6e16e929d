package dev.pillion.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import dev.pillion.components.ComponentDefinition;
import dev.pillion.server.PillionServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;

/**
 * Pub/sub through server mode, as a daprd app sees it: events published with {@code POST
 * /v1.0/publish} over loopback HTTP, delivered by POST to a subscriber app (a JDK HTTP server that
 * declared its subscription in {@code /dapr/subscribe}), 1 KB payload. Measures the latency of one
 * event at a time and the throughput of a burst.
 */
final class ServerPubSubLatency {
  private ServerPubSubLatency() {}

  static String run(int latencySamples, int burst) throws Exception {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    SynchronousQueue<Long> arrivals = new SynchronousQueue<>();
    CountDownLatch[] burstDone = new CountDownLatch[1];
    HttpServer app =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    java.util.concurrent.ExecutorService appThreads =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    app.setExecutor(appThreads);
    app.createContext(
        "/dapr/subscribe",
        exchange ->
            respond(
                exchange,
                "[{\"pubsubname\":\"pubsub\",\"topic\":\"one\",\"route\":\"/one\"},"
                    + "{\"pubsubname\":\"pubsub\",\"topic\":\"burst\",\"route\":\"/burst\"}]"));
    app.createContext(
        "/one",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          try {
            arrivals.put(System.nanoTime());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          respond(exchange, "");
        });
    app.createContext(
        "/burst",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          burstDone[0].countDown();
          respond(exchange, "");
        });
    app.start();
    StringBuilder out = new StringBuilder();
    try (Pillion runtime =
            Pillion.builder()
                .appId("bench")
                .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
                .build();
        PillionServer server =
            PillionServer.builder()
                .runtime(runtime)
                .httpPort(0)
                .grpcPort(0)
                .appPort(app.getAddress().getPort())
                .build()
                .start()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (runtime.activeSubscriptions().size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      byte[] payload = new byte[1024];
      Arrays.fill(payload, (byte) 'x');
      String base = "http://127.0.0.1:" + server.httpPort() + "/v1.0/publish/pubsub/";
      long[] latencies = new long[latencySamples];
      for (int i = -1000; i < latencySamples; i++) {
        long start = System.nanoTime();
        publish(http, base + "one", payload);
        long arrived = arrivals.take();
        if (i >= 0) {
          latencies[i] = arrived - start;
        }
      }
      Arrays.sort(latencies);
      burstDone[0] = new CountDownLatch(burst);
      long start = System.nanoTime();
      for (int i = 0; i < burst; i++) {
        ByteBuffer.wrap(payload).putInt(0, i);
        publish(http, base + "burst", payload);
      }
      long published = System.nanoTime();
      if (!burstDone[0].await(180, TimeUnit.SECONDS)) {
        throw new IllegalStateException("not every burst event reached the app");
      }
      long end = System.nanoTime();
      out.append("| measure | value |\n|---|---|\n");
      out.append(
          String.format(
              Locale.ROOT,
              "| HTTP publish → app route, one event at a time (%d events): p50 | %.1f µs |%n| p99 | %.1f µs |%n"
                  + "| burst of %d events: HTTP publish rate (one client) | %.0f events/s |%n"
                  + "| delivered to the app (publish start → last handled) | %.0f events/s |%n",
              latencySamples,
              latencies[latencySamples / 2] / 1e3,
              latencies[(int) (latencySamples * 0.99)] / 1e3,
              burst,
              burst / ((published - start) / 1e9),
              burst / ((end - start) / 1e9)));
    } finally {
      app.stop(0);
      appThreads.shutdownNow();
    }
    return out.toString();
  }

  private static void publish(HttpClient http, String url, byte[] payload)
      throws IOException, InterruptedException {
    HttpResponse<Void> response =
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
                .build(),
            HttpResponse.BodyHandlers.discarding());
    if (response.statusCode() != 204) {
      throw new IllegalStateException("publish answered " + response.statusCode());
    }
  }

  private static void respond(com.sun.net.httpserver.HttpExchange exchange, String body)
      throws IOException {
    byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
    exchange.close();
  }
}
