package dev.pillion.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs the benchmark suite and prints the figures as Markdown, with the Wasm-to-Java ratios
 * computed from the same run. {@code scripts/bench.sh} runs it; the output goes into
 * docs/benchmarks.md.
 */
public final class BenchmarkSuite {
  private BenchmarkSuite() {}

  private static ChainedOptionsBuilder options(String include) {
    return new OptionsBuilder().include(include).shouldFailOnError(true);
  }

  private static Collection<RunResult> run(ChainedOptionsBuilder options) throws RunnerException {
    return new Runner(options.build()).run();
  }

  private static String param(RunResult result, String name) {
    return result.getParams().getParam(name);
  }

  private static String method(RunResult result) {
    String label = result.getParams().getBenchmark();
    return label.substring(label.lastIndexOf('.') + 1);
  }

  /**
   * Runs the suite.
   *
   * @param args which parts: {@code state} (embedded state), {@code api} (the four API paths and
   *     the fixed-rate server load), {@code pubsub} (in-process and server-mode delivery), {@code
   *     invoke} (service invocation), {@code apps} (Wasm apps), {@code redis} (pub/sub delivered
   *     throughput of {@code pubsub.redis}); none means all
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    List<String> parts =
        args.length == 0
            ? List.of("state", "api", "pubsub", "invoke", "apps", "redis")
            : List.of(args);
    StringBuilder out = new StringBuilder();
    if (parts.contains("state")) {
      state(out);
    }
    if (parts.contains("api")) {
      api(out);
    }
    if (parts.contains("pubsub")) {
      out.append("### Pub/sub in-process, Wasm in-memory broker, 1 KB payload\n\n");
      out.append(PubSubLatency.run(50_000, 20_000));
      out.append(
          "\n### Pub/sub through server mode: HTTP publish, HTTP subscriber app, 1 KB payload\n\n");
      out.append(ServerPubSubLatency.run(5_000, 10_000, 10_000));
    }
    if (parts.contains("invoke")) {
      invoke(out);
    }
    if (parts.contains("apps")) {
      out.append(
          "### Wasm apps: HTTP request → app handler → state get → response, against the same"
              + " handler in Java behind the same HTTP server\n\n");
      out.append(AppHostLatency.run(300_000, 20_000, 200));
    }
    if (parts.contains("redis")) {
      out.append(
          "### `pubsub.redis` delivered throughput, 1 KB events, one consumer group (bursts of"
              + " 20,000 published first, then delivered)\n\n");
      out.append(RedisPubSubThroughput.run(20_000));
    }
    System.out.println();
    System.out.println(out);
  }

  private static void invoke(StringBuilder out) throws Exception {
    out.append(
        "### Service invocation over loopback: HTTP app → runtime → runtime → app, 100-byte"
            + " body\n\n");
    out.append(ServerInvocationLatency.run(5_000, 10_000, java.time.Duration.ofSeconds(5)));
    out.append(
        "\n### In-process invocation between two handlers, embedded API (ns, JMH sample mode)\n\n");
    out.append("| callers | p50 | p99 | mean |\n|---|---|---|---|\n");
    for (int threads : new int[] {1, 2}) {
      for (RunResult r :
          run(options(InProcessInvocationBenchmark.class.getName()).threads(threads))) {
        Statistics s = r.getPrimaryResult().getStatistics();
        out.append(
            String.format(
                Locale.ROOT,
                "| %d | %.0f | %.0f | %.0f |%n",
                threads,
                s.getPercentile(50),
                s.getPercentile(99),
                s.getMean()));
      }
    }
  }

  private static void api(StringBuilder out) throws Exception {
    out.append(
        "### One 100-byte state get and secret get, four ways (µs; JMH sample and throughput"
            + " modes)\n\n");
    out.append(
        "| callers | operation | path | p50 | p99 | throughput (ops/s) |\n"
            + "|---|---|---|---|---|---|\n");
    // ApiPathBenchmark has a state get and a secret get: every figure is keyed by both the
    // operation and the path, and the ratios below are the state get's.
    Map<String, Double> p50ByPath = new LinkedHashMap<>();
    for (int threads : new int[] {1, 16}) {
      Collection<RunResult> sampled =
          run(options(ApiPathBenchmark.class.getName()).threads(threads));
      Collection<RunResult> throughput =
          run(
              options(ApiPathBenchmark.class.getName())
                  .threads(threads)
                  .mode(org.openjdk.jmh.annotations.Mode.Throughput)
                  .timeUnit(java.util.concurrent.TimeUnit.SECONDS));
      Map<String, Double> opsByOperationAndPath = new LinkedHashMap<>();
      for (RunResult r : throughput) {
        opsByOperationAndPath.put(
            method(r) + " " + param(r, "path"), r.getPrimaryResult().getScore());
      }
      for (RunResult r : sampled) {
        Statistics s = r.getPrimaryResult().getStatistics();
        String path = param(r, "path");
        String operation = method(r);
        if (threads == 1 && operation.equals("get")) {
          p50ByPath.put(path, s.getPercentile(50));
        }
        out.append(
            String.format(
                Locale.ROOT,
                "| %d | %s | %s | %.2f | %.2f | %.0f |%n",
                threads,
                operation,
                path,
                s.getPercentile(50),
                s.getPercentile(99),
                opsByOperationAndPath.getOrDefault(operation + " " + path, Double.NaN)));
      }
    }
    double embedded = p50ByPath.get("embedded-api");
    out.append(
        String.format(
            Locale.ROOT,
            "%nState get, single caller, p50: gRPC path / embedded API = %.0f×; HTTP path / embedded API = %.0f×;"
                + " SDK on the embedded channel / embedded API = %.1f×.%n",
            p50ByPath.get("sdk-grpc") / embedded,
            p50ByPath.get("http") / embedded,
            p50ByPath.get("sdk-embedded") / embedded));
    out.append(
        "\n### Server mode at a fixed 1000 requests/s (daprd: 0.57 ms p50 / 1.65 ms p99 over gRPC)\n\n");
    out.append(FixedRateLoad.run(20));
  }

  private static void state(StringBuilder out) throws Exception {
    out.append(
        "### State get and set, 100-byte value, embedded API (ns per operation, JMH sample mode)\n\n");
    out.append(
        "| threads | operation | store | p50 | p99 | mean | Wasm − Java at p50 | Wasm / Java at p50 |\n");
    out.append("|---|---|---|---|---|---|---|---|\n");
    for (int threads : new int[] {1, 2, 4}) {
      String stores =
          threads == 1
              ? "wasm-compiled,java-reference,wasm-interpreter"
              : "wasm-compiled,java-reference";
      Collection<RunResult> results =
          run(
              options(StateBenchmark.class.getName())
                  .threads(threads)
                  .param("store", stores.split(",")));
      Map<String, Double> javaP50 = new LinkedHashMap<>();
      for (RunResult r : results) {
        if (param(r, "store").equals("java-reference")) {
          javaP50.put(method(r), r.getPrimaryResult().getStatistics().getPercentile(50));
        }
      }
      for (RunResult r : results) {
        Statistics s = r.getPrimaryResult().getStatistics();
        double p50 = s.getPercentile(50);
        Double java = javaP50.get(method(r));
        boolean wasm = param(r, "store").startsWith("wasm");
        out.append(
            String.format(
                Locale.ROOT,
                "| %d | %s | %s | %.0f | %.0f | %.0f | %s | %s |%n",
                threads,
                method(r),
                param(r, "store"),
                p50,
                s.getPercentile(99),
                s.getMean(),
                wasm && java != null ? String.format(Locale.ROOT, "%.0f", p50 - java) : "",
                wasm && java != null ? String.format(Locale.ROOT, "%.1f×", p50 / java) : ""));
      }
    }

    out.append(
        "\n### State throughput by threads, 100-byte value, embedded API (operations/s, JMH"
            + " throughput mode)\n\n");
    out.append("| operation | store | 1 thread | 2 threads | 4 threads | 2 / 1 | 4 / 1 |\n");
    out.append("|---|---|---|---|---|---|---|\n");
    Map<String, Map<Integer, Double>> throughput = new LinkedHashMap<>();
    for (int threads : new int[] {1, 2, 4}) {
      for (RunResult r :
          run(
              options(StateBenchmark.class.getName())
                  .threads(threads)
                  .mode(Mode.Throughput)
                  .timeUnit(TimeUnit.SECONDS)
                  .param("store", "wasm-compiled", "java-reference"))) {
        throughput
            .computeIfAbsent(method(r) + " | " + param(r, "store"), k -> new LinkedHashMap<>())
            .put(threads, r.getPrimaryResult().getScore());
      }
    }
    throughput.forEach(
        (row, byThreads) ->
            out.append(
                String.format(
                    Locale.ROOT,
                    "| %s | %.0f | %.0f | %.0f | %.2f× | %.2f× |%n",
                    row,
                    byThreads.get(1),
                    byThreads.get(2),
                    byThreads.get(4),
                    byThreads.get(2) / byThreads.get(1),
                    byThreads.get(4) / byThreads.get(1))));

    out.append("\n### Where a Wasm get's time goes (ns, 1 thread)\n\n");
    out.append("| call | p50 | p99 |\n|---|---|---|\n");
    for (RunResult r : run(options(AbiCallBenchmark.class.getName()))) {
      Statistics s = r.getPrimaryResult().getStatistics();
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %.0f | %.0f |%n",
              method(r),
              s.getPercentile(50),
              s.getPercentile(99)));
    }

    out.append(
        "\n### Starting a runtime with one in-memory store (ms, single shot, first call included)\n\n");
    out.append("| module | mean | min | max |\n|---|---|---|---|\n");
    for (RunResult r : run(options(LoadBenchmark.class.getName()))) {
      Statistics s = r.getPrimaryResult().getStatistics();
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %.1f | %.1f | %.1f |%n",
              param(r, "how"),
              s.getMean(),
              s.getMin(),
              s.getMax()));
    }

    out.append("\n### First instance and heap, each in a fresh JVM\n\n");
    for (String kind : List.of("wasm-compiled", "java-reference", "wasm-interpreter")) {
      out.append("- ").append(footprint(kind)).append('\n');
    }
    out.append('\n');
  }

  private static String footprint(String kind) throws IOException, InterruptedException {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new ArrayList<>(List.of(javaBin, "-cp", System.getProperty("java.class.path")));
    command.addAll(List.of(Footprint.class.getName(), kind));
    Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
    String output =
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    process.waitFor();
    return output;
  }
}
