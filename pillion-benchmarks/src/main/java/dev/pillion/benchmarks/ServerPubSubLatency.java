package dev.pillion.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
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
import java.util.concurrent.atomic.AtomicReference;

/**
 * Pub/sub through server mode, as a daprd app sees it: events published with {@code POST
 * /v1.0/publish} over loopback HTTP, delivered by POST to a subscriber app (a JDK HTTP server that
 * declared its subscription in {@code /dapr/subscribe}), 1 KB payload. Measures the latency of one
 * event at a time and the throughput of a burst; then, in the same run, how fast queued events
 * reach the app one event per POST against bulk subscribe (batches of 100, one POST of Dapr's bulk
 * envelope each, the app parsing it and answering every entry's status).
 */
final class ServerPubSubLatency {
  private ServerPubSubLatency() {}

  /** A bulk subscription's batch size in the comparison, as the issue asks. */
  private static final int BATCH = 100;

  /**
   * The app's side of the delivery comparison: its first request waits at a gate, so the events
   * published meanwhile queue in the broker; then the gate opens and the app counts what arrives.
   */
  private static final class Gated {
    final CountDownLatch firstArrived = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);
    volatile CountDownLatch done;

    void arrived(int events) throws InterruptedException {
      firstArrived.countDown();
      gate.await();
      for (int i = 0; i < events; i++) {
        done.countDown();
      }
    }
  }

  /** Requests sent before the latency samples are taken. */
  private static final int LATENCY_WARM_UP = 10_000;

  static String run(int latencySamples, int burst, int queued) throws Exception {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    SynchronousQueue<Long> arrivals = new SynchronousQueue<>();
    CountDownLatch[] burstDone = new CountDownLatch[1];
    AtomicReference<Gated> single = new AtomicReference<>();
    AtomicReference<Gated> bulk = new AtomicReference<>();
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
                    + "{\"pubsubname\":\"pubsub\",\"topic\":\"burst\",\"route\":\"/burst\"},"
                    + "{\"pubsubname\":\"pubsub\",\"topic\":\"single\",\"route\":\"/single\"},"
                    + "{\"pubsubname\":\"pubsub\",\"topic\":\"bulk\",\"route\":\"/bulk\","
                    + "\"bulkSubscribe\":{\"enabled\":true,\"maxMessagesCount\":"
                    + BATCH
                    + ",\"maxAwaitDurationMs\":10}}]"));
    app.createContext(
        "/single",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          try {
            single.get().arrived(1);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          respond(exchange, "");
        });
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    app.createContext(
        "/bulk",
        exchange -> {
          // A real bulk subscriber: it reads the envelope and answers each entry's status.
          com.fasterxml.jackson.databind.JsonNode entries =
              json.readTree(exchange.getRequestBody()).path("entries");
          com.fasterxml.jackson.databind.node.ObjectNode answer = json.createObjectNode();
          com.fasterxml.jackson.databind.node.ArrayNode statuses = answer.putArray("statuses");
          for (com.fasterxml.jackson.databind.JsonNode entry : entries) {
            statuses
                .addObject()
                .put("entryId", entry.path("entryId").asText())
                .put("status", "SUCCESS");
          }
          try {
            bulk.get().arrived(entries.size());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          respond(exchange, answer.toString());
        });
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
      while (runtime.activeSubscriptions().size() < 4 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      byte[] payload = new byte[1024];
      Arrays.fill(payload, (byte) 'x');
      String base = "http://127.0.0.1:" + server.httpPort() + "/v1.0/publish/pubsub/";
      long[] latencies = new long[latencySamples];
      // HTTP publish and delivery run through Netty, the JDK's HTTP client and server and Jackson:
      // their code is compiled by the JIT only after thousands of requests, and 1,000 measured
      // mostly the interpreter (the third of three runs in one JVM was twice as fast as the
      // first). 10,000 unmeasured requests first (fewer for a short run), as for the in-process
      // path.
      int warmUp = Math.min(LATENCY_WARM_UP, 2 * latencySamples);
      for (int i = -warmUp; i < latencySamples; i++) {
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
      // Warm both paths up with a smaller run, then measure them one after the other.
      delivered(runtime, single, "single", payload, Math.max(1, queued / 5));
      delivered(runtime, bulk, "bulk", payload, Math.max(1, queued / 5));
      double perEvent = delivered(runtime, single, "single", payload, queued);
      double batched = delivered(runtime, bulk, "bulk", payload, queued);
      out.append(
          String.format(
              Locale.ROOT,
              "| %d queued events delivered to the app, one event per POST | %.0f events/s |%n"
                  + "| %d queued events delivered to the app, bulk subscribe (batches of %d) |"
                  + " %.0f events/s |%n"
                  + "| bulk subscribe / one event per POST | %.1f× |%n",
              queued,
              perEvent,
              queued,
              BATCH,
              batched,
              batched / perEvent));
    } finally {
      app.stop(0);
      appThreads.shutdownNow();
    }
    return out.toString();
  }

  /**
   * Delivered throughput of queued events: one event goes first and holds the app at its gate;
   * {@code queued} more are published in-process (publishing is not what is measured) and wait in
   * the broker; the gate opens and the clock runs until the app has received them all.
   *
   * @return events per second from the gate's opening to the last event received
   */
  private static double delivered(
      Pillion runtime, AtomicReference<Gated> slot, String topic, byte[] payload, int queued)
      throws Exception {
    Gated gated = new Gated();
    gated.done = new CountDownLatch(queued + 1);
    slot.set(gated);
    dev.pillion.pubsub.PubSub pubsub = runtime.pubsub("pubsub");
    pubsub.publish(
        dev.pillion.pubsub.PublishRequest.builder(topic, payload)
            .contentType("application/octet-stream")
            .build());
    if (!gated.firstArrived.await(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the first '" + topic + "' event did not reach the app");
    }
    for (int i = 0; i < queued; i++) {
      ByteBuffer.wrap(payload).putInt(0, i);
      PubSubLatency.publishWithBackpressure(
          pubsub,
          dev.pillion.pubsub.PublishRequest.builder(topic, payload)
              .contentType("application/octet-stream")
              .build());
    }
    long start = System.nanoTime();
    gated.gate.countDown();
    if (!gated.done.await(300, TimeUnit.SECONDS)) {
      throw new IllegalStateException(
          "only " + (queued + 1 - gated.done.getCount()) + " '" + topic + "' events arrived");
    }
    return queued / ((System.nanoTime() - start) / 1e9);
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
