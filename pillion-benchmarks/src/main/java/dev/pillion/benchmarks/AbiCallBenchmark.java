package dev.pillion.benchmarks;

import com.google.protobuf.ByteString;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.InitRequest;
import dev.pillion.abi.state.SetRequest;
import dev.pillion.bundled.BundledComponents;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.WasmComponent;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import dev.pillion.wasm.capability.KeyValueStore;
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
 * Where the time of a Wasm state get goes: an empty call ({@code store_ping}, the pure boundary:
 * pool, timeout slot, call into compiled Wasm, result), and a get with ready-made request bytes
 * (boundary plus the guest's decode, lookup and encode), without the building block's protobuf work
 * on the Java side.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AbiCallBenchmark {
  private WasmHost host;
  private WasmComponent component;
  private byte[] getRequest;
  private final byte[] empty = new byte[0];

  @Setup(Level.Trial)
  public void start() {
    host = WasmHost.create();
    byte[] init = InitRequest.getDefaultInstance().toByteArray();
    component =
        host.load(
            ComponentSpec.builder()
                .name("abi")
                .contract(StateStoreContract.CONTRACT)
                .source(BundledComponents.stateInMemory())
                .grant(KeyValueModule.create(KeyValueStore.builder("abi").build()))
                .initializer(instance -> instance.call(StateStoreContract.INIT, init))
                .build());
    component.call(
        StateStoreContract.SET,
        SetRequest.newBuilder()
            .setKey("bench||key-100b")
            .setData(ByteString.copyFrom(new byte[100]))
            .build()
            .toByteArray());
    getRequest = GetRequest.newBuilder().setKey("bench||key-100b").build().toByteArray();
  }

  @TearDown(Level.Trial)
  public void stop() {
    component.close();
    host.close();
  }

  @Benchmark
  public byte[] emptyCall() {
    return component.call(StateStoreContract.PING, empty);
  }

  @Benchmark
  public byte[] rawGet() {
    return component.call(StateStoreContract.GET, getRequest);
  }
}
