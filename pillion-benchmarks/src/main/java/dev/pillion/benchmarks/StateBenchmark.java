package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import dev.pillion.state.StateItem;
import dev.pillion.state.StateStore;
import java.util.Optional;
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
 * Get and set of a 100-byte value through the embedded API: the Wasm in-memory component (compiled
 * at build time, or interpreted) against the plain-Java reference store, in the same run. Sample
 * mode reports p50 and p99; thread counts come from the command line ({@code -t 1}, {@code -t 2},
 * {@code -t 4}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StateBenchmark {
  @Param({"wasm-compiled", "java-reference", "wasm-interpreter"})
  public String store;

  private Pillion runtime;
  private StateStore state;
  private byte[] value;

  @Setup(Level.Trial)
  public void start() {
    runtime = StateStores.runtime(store);
    state = runtime.state(StateStores.STORE);
    value = new byte[100];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) ('a' + i % 26);
    }
    state.save("key-100b", value);
  }

  @TearDown(Level.Trial)
  public void stop() {
    runtime.close();
  }

  @Benchmark
  public Optional<StateItem> get() {
    return state.get("key-100b");
  }

  @Benchmark
  public void set() {
    state.save("key-100b", value);
  }
}
