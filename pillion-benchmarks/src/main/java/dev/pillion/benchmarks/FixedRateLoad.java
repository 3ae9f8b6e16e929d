package dev.pillion.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * daprd's published figure for a state get is 0.57 ms p50 / 1.65 ms p99 over gRPC at 1000 requests
 * per second. This offers the same load to the server: one caller, 1000 gets per second at fixed
 * intervals, latency measured from each request's scheduled time (so a stall counts against every
 * request it delays), for the gRPC and HTTP paths. It also reports the heap and threads of the
 * process while serving.
 */
final class FixedRateLoad {
  private FixedRateLoad() {}

  static String run(int seconds) throws Exception {
    StringBuilder out = new StringBuilder();
    try (ApiPaths paths = new ApiPaths()) {
      out.append(
          "| path | offered rate | requests | p50 (ms) | p99 (ms) | max (ms) |\n|---|---|---|---|---|---|\n");
      for (String path : new String[] {"sdk-grpc", "http"}) {
        for (int i = 0; i < 20_000; i++) {
          paths.get(path);
        }
        long[] latencies = load(paths, path, 1000, seconds);
        Arrays.sort(latencies);
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | 1000/s | %d | %.3f | %.3f | %.3f |%n",
                path,
                latencies.length,
                latencies[latencies.length / 2] / 1e6,
                latencies[(int) (latencies.length * 0.99)] / 1e6,
                latencies[latencies.length - 1] / 1e6));
      }
      for (int i = 0; i < 4; i++) {
        System.gc();
        Thread.sleep(100);
      }
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      out.append(
          String.format(
              Locale.ROOT,
              "%nWhile serving (server, embedded endpoint and both clients in one JVM): heap used after GC %.1f MiB,"
                  + " %d live threads.%n",
              heap / (1024.0 * 1024.0),
              ManagementFactory.getThreadMXBean().getThreadCount()));
    }
    return out.toString();
  }

  private static long[] load(ApiPaths paths, String path, int perSecond, int seconds) {
    int total = perSecond * seconds;
    long interval = 1_000_000_000L / perSecond;
    long[] latencies = new long[total];
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long scheduled = start + i * interval;
      long now;
      while ((now = System.nanoTime()) < scheduled) {
        LockSupport.parkNanos(Math.min(scheduled - now, 200_000));
      }
      paths.get(path);
      latencies[i] = System.nanoTime() - scheduled;
    }
    return latencies;
  }
}
