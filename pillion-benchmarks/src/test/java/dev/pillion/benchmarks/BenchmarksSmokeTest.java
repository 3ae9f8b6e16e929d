package dev.pillion.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs every benchmark's set-up, one invocation and tear-down, so a change that breaks a benchmark
 * fails the build instead of the next benchmark run. Measures nothing.
 */
class BenchmarksSmokeTest {
  @ParameterizedTest
  @ValueSource(strings = {"wasm-compiled", "java-reference", "wasm-interpreter"})
  void stateBenchmark(String store) {
    StateBenchmark benchmark = new StateBenchmark();
    benchmark.store = store;
    benchmark.start();
    try {
      benchmark.set();
      assertThat(benchmark.get()).isPresent();
    } finally {
      benchmark.stop();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"bundled-precompiled", "file-runtime-compiled", "file-interpreter"})
  void loadBenchmark(String how) throws Exception {
    LoadBenchmark benchmark = new LoadBenchmark();
    benchmark.how = how;
    benchmark.extractModule();
    assertThat(benchmark.startRuntime()).isPositive();
  }

  @Test
  void abiCallBenchmark() {
    AbiCallBenchmark benchmark = new AbiCallBenchmark();
    benchmark.start();
    try {
      benchmark.emptyCall();
      assertThat(benchmark.rawGet()).isNotEmpty();
    } finally {
      benchmark.stop();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"embedded-api", "sdk-embedded", "sdk-grpc", "http"})
  void apiPathBenchmark(String path) throws Exception {
    ApiPathBenchmark benchmark = new ApiPathBenchmark();
    benchmark.path = path;
    benchmark.start();
    try {
      assertThat(benchmark.get()).isPositive();
      assertThat(benchmark.secretGet()).isGreaterThanOrEqualTo(100);
    } finally {
      benchmark.stop();
    }
  }

  @Test
  void redisPubSubThroughput() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        dev.pillion.testing.RedisServerFixture.available(), "redis-server is not installed");
    assertThat(RedisPubSubThroughput.run(40))
        .contains(
            "| 1 runtime | 1 |", "| 2 runtimes, one JVM | 10 |", "| 2 runtimes, two JVMs | 10 |");
  }

  @Test
  void pubSubLatency() throws Exception {
    assertThat(PubSubLatency.run(20, 20))
        .contains(
            "p50", "bare hand-off", "Pillion / spinning hand-off", "Pillion / parking hand-off");
    assertThat(ServerPubSubLatency.run(10, 10, 200)).contains("p50").contains("bulk subscribe");
  }
}
