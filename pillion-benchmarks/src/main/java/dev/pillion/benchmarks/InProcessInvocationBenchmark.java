package dev.pillion.benchmarks;

import dev.pillion.Pillion;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One invocation between two runtimes of one JVM through the embedded API: the caller builds a
 * request with a 100-byte body and invokes the other app by id; the handler reads the body and
 * answers a prebuilt response. Request building is measured too (an application builds one per
 * call).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class InProcessInvocationBenchmark {
  private Pillion caller;
  private Pillion callee;
  private final byte[] body = new byte[100];

  /** Starts the two runtimes and registers the handler. */
  @Setup(Level.Trial)
  public void start() {
    caller = Pillion.builder().appId("bench-invoke-caller").build();
    callee = Pillion.builder().appId("bench-invoke-callee").build();
    InvocationResponse answer = InvocationResponse.builder().body(new byte[100]).build();
    callee.onInvoke(
        "orders",
        request -> {
          if (request.bodyLength() != 100) {
            throw new IllegalStateException("body lost: " + request.bodyLength());
          }
          return answer;
        });
  }

  /** Closes the runtimes. */
  @TearDown(Level.Trial)
  public void stop() {
    caller.close();
    callee.close();
  }

  /**
   * One invocation.
   *
   * @return the answer's status, so the call is not optimised away
   */
  @Benchmark
  public int invoke() {
    return caller
        .invoke("bench-invoke-callee", InvocationRequest.builder("orders").body(body).build())
        .status();
  }
}
