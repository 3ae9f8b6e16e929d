package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Time to start a runtime with one in-memory store, first instance and init included: the bundled
 * module compiled at build time against the same {@code .wasm} loaded from a file and compiled at
 * load time (a fresh runtime each time, so nothing is cached), and interpreted.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(1)
public class LoadBenchmark {
  @Param({"bundled-precompiled", "file-runtime-compiled", "file-interpreter"})
  public String how;

  private Path wasm;

  @Setup(Level.Trial)
  public void extractModule() throws Exception {
    wasm = Files.createTempFile("state-in-memory", ".wasm");
    try (var in =
        LoadBenchmark.class
            .getClassLoader()
            .getResourceAsStream("dev/pillion/bundled/wasm/state-in-memory.wasm")) {
      Files.write(wasm, in.readAllBytes());
    }
  }

  /**
   * The extracted module is the trial's own: left behind, every run would add one to the temp
   * directory.
   */
  @TearDown(Level.Trial)
  public void deleteModule() throws java.io.IOException {
    Files.deleteIfExists(wasm);
  }

  @Benchmark
  public int startRuntime() {
    ComponentDefinition definition =
        switch (how) {
          case "bundled-precompiled" -> ComponentDefinition.builder("s", "state.in-memory").build();
          case "file-runtime-compiled" ->
              ComponentDefinition.builder("s", "state.wasm")
                  .metadata("url", "file://" + wasm)
                  .metadata("wasm.capabilities", "log, keyvalue")
                  // Measured, not bounded: a loaded machine may compile for longer than Dapr's 5 s.
                  .initTimeout(java.time.Duration.ofMinutes(1))
                  .build();
          default ->
              ComponentDefinition.builder("s", "state.wasm")
                  .metadata("url", "file://" + wasm)
                  .metadata("wasm.capabilities", "log, keyvalue")
                  .metadata("wasm.engine", "interpreter")
                  .initTimeout(java.time.Duration.ofMinutes(1))
                  .build();
        };
    try (Pillion runtime = Pillion.builder().appId("bench").component(definition).build()) {
      return runtime.state("s").features().size();
    }
  }
}
