package dev.pillion.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The same 100-byte state get, and the same secret get (a 100-character value from the Wasm {@code
 * secretstores.local.env} store), four ways (see {@link ApiPaths}), as fast as callers can go. Run
 * in sample mode for p50/p99 and in throughput mode for operations per second, with 1 and 16
 * threads ({@code -t}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class ApiPathBenchmark {
  @Param({"embedded-api", "sdk-embedded", "sdk-grpc", "http"})
  public String path;

  private ApiPaths paths;

  @Setup(Level.Trial)
  public void start() {
    paths = new ApiPaths();
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    paths.close();
  }

  @Benchmark
  public int get() {
    return paths.get(path);
  }

  @Benchmark
  public int secretGet() {
    return paths.secretGet(path);
  }
}
