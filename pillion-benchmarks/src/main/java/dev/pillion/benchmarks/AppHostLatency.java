package dev.pillion.benchmarks;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.server.apps.AppManifest;
import dev.pillion.server.apps.WasmApp;
import dev.pillion.server.apps.WasmAppHost;
import dev.pillion.server.apps.http.AppHttpServer;
import dev.pillion.server.internals.v1.InternalStatusProtos;
import dev.pillion.server.internals.v1.ServiceInvocationProtos.InternalInvokeResponse;
import dev.pillion.state.StateStore;
import io.dapr.v1.CommonProtos.InvokeResponse;
import io.netty.channel.nio.NioEventLoopGroup;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Wasm apps: an HTTP request to a hosted app's port → its handler → a state get → the response, for
 * the Rust order service ({@code GET /orders/1}) and for the same handler written in Java behind
 * the same HTTP server ({@link AppHttpServer}, its own event loop and workers, sized alike),
 * alternating in blocks; and what an idle hosted app costs in heap.
 */
final class AppHostLatency {
  private static final int BLOCK = 1_000;

  private AppHostLatency() {}

  static String run(int warmup, int samples, int idleApps) throws Exception {
    Path module =
        Path.of("examples", "apps", "order-service", "order-service.wasm").toAbsolutePath();
    if (!module.toFile().isFile()) {
      module =
          Path.of("..", "examples", "apps", "order-service", "order-service.wasm").toAbsolutePath();
    }
    StringBuilder out = new StringBuilder();
    try (Pillion runtime =
            Pillion.builder()
                .appId("bench")
                .hostedApps(List.of("order-service"))
                .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
                .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
                .build();
        WasmAppHost host =
            WasmAppHost.start(
                runtime,
                List.of(AppManifest.builder("order-service", module).httpPort(0).build()),
                "127.0.0.1")) {
      StateStore store = host.app("order-service").orElseThrow().runtime().state("statestore");
      NioEventLoopGroup loop = new NioEventLoopGroup(1);
      ThreadPoolExecutor workers =
          new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
      AppHttpServer twin =
          AppHttpServer.start(
              "java-twin",
              request -> {
                String method = request.getMessage().getMethod();
                String id = method.substring(method.lastIndexOf('/') + 1);
                byte[] order = store.get("order-" + id).orElseThrow().value();
                return InternalInvokeResponse.newBuilder()
                    .setStatus(InternalStatusProtos.Status.newBuilder().setCode(200))
                    .setMessage(
                        InvokeResponse.newBuilder()
                            .setContentType("application/json")
                            .setData(Any.newBuilder().setValue(ByteString.copyFrom(order))))
                    .build();
              },
              "127.0.0.1",
              0,
              4 << 20,
              loop,
              workers);
      ExecutorService clientThreads = Executors.newFixedThreadPool(2);
      try {
        HttpClient client =
            HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .executor(clientThreads)
                .build();
        URI wasmBase = URI.create("http://127.0.0.1:" + host.httpPort("order-service").getAsInt());
        HttpResponse<String> placed =
            client.send(
                HttpRequest.newBuilder(wasmBase.resolve("/orders"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"item\":\"book\",\"qty\":2}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (placed.statusCode() != 201) {
          throw new IllegalStateException(
              "placing the order: " + placed.statusCode() + " " + placed.body());
        }
        URI wasm = wasmBase.resolve("/orders/1");
        URI java = URI.create("http://127.0.0.1:" + twin.port() + "/orders/1");
        for (int i = 0; i < warmup; i++) {
          call(client, wasm);
          call(client, java);
        }
        long[] wasmTimes = new long[samples];
        long[] javaTimes = new long[samples];
        for (int start = 0; start < samples; start += BLOCK) {
          int end = Math.min(samples, start + BLOCK);
          for (int i = start; i < end; i++) {
            javaTimes[i] = call(client, java);
          }
          for (int i = start; i < end; i++) {
            wasmTimes[i] = call(client, wasm);
          }
        }
        out.append(
            "| handler behind the same HTTP server | p50 (µs) | p99 (µs) |\n|---|---|---|\n");
        out.append(row("Java (the baseline)", javaTimes));
        out.append(row("Wasm app (Rust, order-service)", wasmTimes));
        out.append(
            String.format(
                Locale.ROOT,
                "%nAdded by the Wasm app: p50 %.1f µs, p99 %.1f µs (%d requests per path, 1 caller).%n",
                (Percentiles.of(wasmTimes, wasmTimes.length, 50)
                        - Percentiles.of(javaTimes, javaTimes.length, 50))
                    / 1000.0,
                (Percentiles.of(wasmTimes, wasmTimes.length, 99)
                        - Percentiles.of(javaTimes, javaTimes.length, 99))
                    / 1000.0,
                samples));
      } finally {
        clientThreads.shutdownNow();
        twin.close();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownNow();
      }
    }
    out.append(idle(module, idleApps));
    return out.toString();
  }

  /** The heap hosted apps take: loaded with one instance each, and idle with none. */
  private static String idle(Path module, int apps) throws Exception {
    double loaded = heapPerApp(module, apps, Duration.ZERO);
    double idle = heapPerApp(module, apps, Duration.ofSeconds(1));
    return String.format(
        Locale.ROOT,
        "%nHosted apps' heap (%d order-service apps, the compiled module shared): with one"
            + " instance each (17 pages of linear memory at start) %.0f KiB per app, %.0f apps per"
            + " GiB; idle past their idle timeout (every instance closed) %.1f KiB per app, %.0f"
            + " idle apps per GiB of heap.%n",
        apps,
        loaded / 1024.0,
        (1L << 30) / loaded,
        idle / 1024.0,
        (1L << 30) / idle);
  }

  /** Heap per hosted app, measured after the apps have been idle for twice the idle timeout. */
  private static double heapPerApp(Path module, int apps, Duration idleTimeout) throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    List<String> ids = IntStream.range(0, apps).mapToObj(i -> "idle-" + i).toList();
    List<AppManifest> manifests = new ArrayList<>();
    for (String id : ids) {
      manifests.add(AppManifest.builder(id, module).instances(1).idleTimeout(idleTimeout).build());
    }
    try (Pillion runtime =
        Pillion.builder()
            .appId("bench")
            .hostedApps(ids)
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build()) {
      long before = usedAfterGc(memory);
      try (WasmAppHost host = WasmAppHost.start(runtime, manifests, "127.0.0.1")) {
        Thread.sleep(Math.max(500, 2 * idleTimeout.toMillis()) + 500);
        long expectedLive = idleTimeout.isZero() ? apps : 0;
        long live = host.apps().stream().mapToLong(WasmApp::liveInstances).sum();
        if (live != expectedLive) {
          throw new IllegalStateException(live + " live instances, expected " + expectedLive);
        }
        return Math.max(1, usedAfterGc(memory) - before) / (double) apps;
      }
    }
  }

  private static long usedAfterGc(MemoryMXBean memory) throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private static long call(HttpClient client, URI uri) throws Exception {
    long start = System.nanoTime();
    HttpResponse<byte[]> response =
        client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
    long took = System.nanoTime() - start;
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          uri + " answered " + response.statusCode() + ": " + new String(response.body()));
    }
    return took;
  }

  private static String row(String path, long[] times) {
    return String.format(
        Locale.ROOT,
        "| %s | %.1f | %.1f |%n",
        path,
        Percentiles.of(times, times.length, 50) / 1000.0,
        Percentiles.of(times, times.length, 99) / 1000.0);
  }
}
