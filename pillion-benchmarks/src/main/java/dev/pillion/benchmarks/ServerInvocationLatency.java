package dev.pillion.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.pillion.Pillion;
import dev.pillion.server.PillionServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Service invocation over loopback, as two sidecars do it: an HTTP client (the calling app) POSTs
 * 100 bytes to its runtime's {@code /v1.0/invoke/callee/method/echo}, the runtime resolves {@code
 * callee} through a same-machine registry and calls the callee's runtime over Dapr's internal gRPC
 * protocol, which calls the app over HTTP. The baseline is the same request sent by the same client
 * straight to the app. Both runtimes stay out of the in-process registry, so every call crosses
 * both hops. Latency is measured one call at a time (1 caller) and with 16 callers at once (each
 * sending its next call as soon as the previous one answers); both paths alternate in blocks so
 * drift of the machine affects them alike.
 */
final class ServerInvocationLatency {
  private static final int BLOCK = 1_000;

  private ServerInvocationLatency() {}

  static String run(int warmup, int samples, Duration concurrentRun) throws Exception {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    Path dir = Files.createTempDirectory("pillion-invoke-bench");
    Files.writeString(
        dir.resolve("config.yaml"),
        "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: bench\nspec:\n"
            + "  nameResolution:\n    component: local\n    configuration:\n      directory: "
            + dir.resolve("registry")
            + "\n");
    HttpServer app =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    ExecutorService appThreads = Executors.newFixedThreadPool(16);
    app.setExecutor(appThreads);
    app.createContext(
        "/echo",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          exchange.getResponseHeaders().add("content-type", "application/octet-stream");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    app.start();
    int appPort = app.getAddress().getPort();
    PillionServer callee =
        PillionServer.builder()
            .runtime(runtime("callee", dir))
            .closeRuntime(true)
            .httpPort(0)
            .grpcPort(0)
            .appPort(appPort)
            .build()
            .start();
    PillionServer caller =
        PillionServer.builder()
            .runtime(runtime("caller", dir))
            .closeRuntime(true)
            .httpPort(0)
            .grpcPort(0)
            .build()
            .start();
    ExecutorService callers = Executors.newFixedThreadPool(16);
    ExecutorService clientThreads = Executors.newFixedThreadPool(4);
    try {
      HttpClient client =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .executor(clientThreads)
              .build();
      URI direct = URI.create("http://127.0.0.1:" + appPort + "/echo");
      URI through =
          URI.create("http://127.0.0.1:" + caller.httpPort() + "/v1.0/invoke/callee/method/echo");
      byte[] body = new byte[100];
      for (int i = 0; i < warmup; i++) {
        call(client, direct, body);
        call(client, through, body);
      }
      long[] directOne = new long[samples];
      long[] throughOne = new long[samples];
      for (int start = 0; start < samples; start += BLOCK) {
        int end = Math.min(samples, start + BLOCK);
        for (int i = start; i < end; i++) {
          directOne[i] = call(client, direct, body);
        }
        for (int i = start; i < end; i++) {
          throughOne[i] = call(client, through, body);
        }
      }
      Loaded directMany = concurrent(callers, client, direct, body, concurrentRun);
      Loaded throughMany = concurrent(callers, client, through, body, concurrentRun);
      Loaded directMany2 = concurrent(callers, client, direct, body, concurrentRun);
      Loaded throughMany2 = concurrent(callers, client, through, body, concurrentRun);
      Loaded directAll = directMany.plus(directMany2);
      Loaded throughAll = throughMany.plus(throughMany2);
      StringBuilder out = new StringBuilder();
      out.append("| callers | path | p50 (µs) | p99 (µs) | throughput (calls/s) |\n");
      out.append("|---|---|---|---|---|\n");
      row(out, 1, "direct to the app (baseline)", directOne, samples, Double.NaN);
      row(out, 1, "app → runtime → runtime → app", throughOne, samples, Double.NaN);
      row(
          out,
          16,
          "direct to the app (baseline)",
          directAll.latencies(),
          directAll.count,
          directAll.rate());
      row(
          out,
          16,
          "app → runtime → runtime → app",
          throughAll.latencies(),
          throughAll.count,
          throughAll.rate());
      out.append(
          String.format(
              Locale.ROOT,
              "%nAdded by the two runtimes: 1 caller p50 %.0f µs, p99 %.0f µs; 16 callers p50 %.0f µs,"
                  + " p99 %.0f µs (%d single calls, %d concurrent calls per path).%n",
              micros(
                  Percentiles.of(throughOne, samples, 50) - Percentiles.of(directOne, samples, 50)),
              micros(
                  Percentiles.of(throughOne, samples, 99) - Percentiles.of(directOne, samples, 99)),
              micros(
                  Percentiles.of(throughAll.latencies(), throughAll.count, 50)
                      - Percentiles.of(directAll.latencies(), directAll.count, 50)),
              micros(
                  Percentiles.of(throughAll.latencies(), throughAll.count, 99)
                      - Percentiles.of(directAll.latencies(), directAll.count, 99)),
              samples,
              throughAll.count));
      return out.toString();
    } finally {
      callers.shutdownNow();
      clientThreads.shutdownNow();
      caller.close();
      callee.close();
      app.stop(0);
      appThreads.shutdownNow();
    }
  }

  private static Pillion runtime(String appId, Path resources) {
    return Pillion.builder()
        .appId(appId)
        .resourcesPath(resources)
        .inProcessInvocation(false)
        .build();
  }

  private static long call(HttpClient client, URI uri, byte[] body)
      throws IOException, InterruptedException {
    long start = System.nanoTime();
    HttpResponse<byte[]> response =
        client.send(
            HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    long took = System.nanoTime() - start;
    if (response.statusCode() != 200 || response.body().length != body.length) {
      throw new IllegalStateException(
          uri + " answered " + response.statusCode() + ": " + new String(response.body()));
    }
    return took;
  }

  private record Loaded(long[] latencies, int count, long nanos) {
    double rate() {
      return count * 1e9 / nanos;
    }

    Loaded plus(Loaded other) {
      long[] both = Arrays.copyOf(latencies, count + other.count);
      System.arraycopy(other.latencies, 0, both, count, other.count);
      return new Loaded(both, count + other.count, nanos + other.nanos);
    }
  }

  private static Loaded concurrent(
      ExecutorService callers, HttpClient client, URI uri, byte[] body, Duration run)
      throws Exception {
    long deadline = System.nanoTime() + run.toNanos();
    long start = System.nanoTime();
    List<Future<long[]>> results = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      results.add(
          callers.submit(
              () -> {
                long[] mine = new long[1024];
                int n = 0;
                while (System.nanoTime() < deadline) {
                  if (n == mine.length) {
                    mine = Arrays.copyOf(mine, n * 2);
                  }
                  mine[n++] = call(client, uri, body);
                }
                return Arrays.copyOf(mine, n);
              }));
    }
    long[] all = new long[0];
    for (Future<long[]> result : results) {
      long[] mine = result.get();
      long[] merged = Arrays.copyOf(all, all.length + mine.length);
      System.arraycopy(mine, 0, merged, all.length, mine.length);
      all = merged;
    }
    return new Loaded(all, all.length, System.nanoTime() - start);
  }

  private static void row(
      StringBuilder out, int callers, String path, long[] latencies, int count, double rate) {
    out.append(
        String.format(
            Locale.ROOT,
            "| %d | %s | %.0f | %.0f | %s |%n",
            callers,
            path,
            micros(Percentiles.of(latencies, count, 50)),
            micros(Percentiles.of(latencies, count, 99)),
            Double.isNaN(rate) ? "–" : String.format(Locale.ROOT, "%.0f", rate)));
  }

  private static double micros(double nanos) {
    return nanos / 1000.0;
  }
}
