package dev.pillion.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import com.google.protobuf.ByteString;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.abi.state.SetRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whatever a guest or a host function throws inside a call (trap, exception, OutOfMemoryError,
 * StackOverflowError), and however its {@code free} misbehaves, the failure belongs to that call:
 * its watchdog slot ends, only its instance is discarded, and no interrupt reaches the calling
 * thread afterwards. The guests are components/fixtures/hostile-abi-state.c and host-fault-state.c.
 */
class FaultContainmentTest {
  /** {@code pillion_test.fault(kind)}: throws what the issue saw escape from Chicory and WASI. */
  static final class FaultModule implements HostModule {
    private static final FunctionType TYPE = FunctionType.of(List.of(ValType.I32), List.of());

    @Override
    public String capability() {
      return "test-faults";
    }

    @Override
    public String importModule() {
      return "pillion_test";
    }

    @Override
    public Map<String, FunctionType> functions() {
      return Map.of("fault", TYPE);
    }

    @Override
    public boolean isBlocking() {
      return false;
    }

    @Override
    public Binding bind(HostModuleContext context) {
      HostFunction fault =
          new HostFunction(
              "pillion_test",
              "fault",
              TYPE,
              (Instance instance, long... args) -> {
                switch ((int) args[0]) {
                  case 1 -> throw new NegativeArraySizeException("-1");
                  case 2 -> throw new OutOfMemoryError("Java heap space (simulated)");
                  case 3 -> throw new StackOverflowError();
                  case 4 -> throw new IllegalStateException("host function bug");
                  default -> {
                    return null;
                  }
                }
              });
      return () -> List.of(fault);
    }
  }

  private WasmHost host;

  @BeforeEach
  void startHost() {
    host = WasmHost.create();
  }

  @AfterEach
  void stopHost() {
    host.close();
  }

  private WasmComponent hostile(Duration timeout) {
    return host.load(
        Fixtures.spec(Fixtures.HOSTILE_ABI)
            .limits(ComponentLimits.builder().callTimeout(timeout).build())
            .build());
  }

  private WasmComponent trusted() {
    return host.load(Fixtures.spec(Fixtures.MISBEHAVING).name("trusted").build());
  }

  private static byte[] get(String key) {
    return GetRequest.newBuilder().setKey(key).build().toByteArray();
  }

  private static String data(byte[] response) throws Exception {
    return GetResponse.parseFrom(response).getData().toStringUtf8();
  }

  private static void save(WasmComponent component, String key, String value) {
    component.call(
        StateStoreContract.SET,
        SetRequest.newBuilder()
            .setKey(key)
            .setData(ByteString.copyFromUtf8(value))
            .build()
            .toByteArray());
  }

  @ParameterizedTest(name = "fault {0}")
  @ValueSource(ints = {1, 2, 3, 4})
  void anythingAHostFunctionThrowsFailsThatCallOnly(int kind) throws Exception {
    try (WasmComponent hostile =
            host.load(Fixtures.spec(Fixtures.HOST_FAULT).grant(new FaultModule()).build());
        WasmComponent trusted = trusted()) {
      save(trusted, "k", "kept");
      assertThatThrownBy(() -> hostile.call(StateStoreContract.GET, get("fault:" + kind)))
          .isInstanceOf(ComponentTrapException.class)
          .hasMessageContaining("host-fault-state")
          .hasMessageContaining("discarded");
      assertThat(host.activeCalls()).isZero();
      assertThat(Thread.currentThread().isInterrupted()).isFalse();
      assertThat(hostile.discardedInstances()).isEqualTo(1);
      // The component serves again from a new instance; the other component never noticed.
      assertThat(data(hostile.call(StateStoreContract.GET, get("plain")))).isEmpty();
      assertThat(data(trusted.call(StateStoreContract.GET, get("k")))).isEqualTo("kept");
      assertThat(trusted.discardedInstances()).isZero();
    }
  }

  @Test
  void aFreeThatNeverReturnsTimesOutAndDoesNotBlockClose() throws Exception {
    WasmComponent hostile = hostile(Duration.ofMillis(100));
    assertThatThrownBy(() -> hostile.call(StateStoreContract.GET, get("free-loop")))
        .isInstanceOf(ComponentTimeoutException.class);
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    assertThat(host.activeCalls()).isZero();
    assertThat(hostile.discardedInstances()).isEqualTo(1);
    assertThat(data(hostile.call(StateStoreContract.GET, get("plain")))).isEmpty();
    // Arm a fresh instance again, then close while a call is stuck in free on another thread.
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<?> stuck = caller.submit(() -> hostile.call(StateStoreContract.GET, get("free-loop")));
      // Close only once the call is in the guest: closed before it took an instance, the call
      // would be refused as "closed" and never get stuck (CI saw that race).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (host.activeCalls() == 0 && !stuck.isDone() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(host.activeCalls()).as("the stuck call is in flight").isEqualTo(1);
      assertTimeoutPreemptively(Duration.ofSeconds(30), hostile::close);
      assertThatThrownBy(stuck::get).hasCauseInstanceOf(ComponentTimeoutException.class);
    } finally {
      caller.shutdownNow();
    }
  }

  @Test
  void aFreeThatTrapsDiscardsTheInstance() throws Exception {
    try (WasmComponent hostile = hostile(Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> hostile.call(StateStoreContract.GET, get("free-trap")))
          .isInstanceOf(ComponentTrapException.class);
      assertThat(hostile.discardedInstances()).isEqualTo(1);
      assertThat(data(hostile.call(StateStoreContract.GET, get("plain")))).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"fd-read-huge", "fd-read-2g"})
  void hugeWasiReadLengthsNeitherAllocateNorEscape(String key) throws Exception {
    try (WasmComponent hostile = hostile(Duration.ofSeconds(5));
        WasmComponent trusted = trusted()) {
      save(trusted, "k", "kept");
      for (int i = 0; i < 4; i++) {
        try {
          // WASI answers the guest with an error, or the call fails as a trap: either is this
          // call's business only.
          assertThat(data(hostile.call(StateStoreContract.GET, get(key)))).startsWith("errno");
        } catch (ComponentTrapException expected) {
          assertThat(expected).hasMessageContaining("hostile-abi-state");
        }
        assertThat(host.activeCalls()).isZero();
      }
      assertThat(data(trusted.call(StateStoreContract.GET, get("k")))).isEqualTo("kept");
    }
  }

  /**
   * Many threads, thousands of short calls on a component with a tiny timeout mixed with faulting
   * calls, and calls on a trusted component in between: the watchdog's interrupt never lands
   * outside the call it was meant for.
   */
  @Test
  void hammerInterruptsNeverLeakIntoOtherCalls() throws Exception {
    int threads = 4;
    int rounds = 300;
    try (WasmComponent hostile =
            host.load(
                Fixtures.spec(Fixtures.MISBEHAVING)
                    .name("tiny-timeout")
                    .instanceModel(InstanceModel.POOLED)
                    .limits(
                        ComponentLimits.builder()
                            .callTimeout(Duration.ofMillis(1))
                            .poolSize(threads)
                            .poolWait(Duration.ofSeconds(30))
                            .build())
                    .build());
        WasmComponent faulty =
            host.load(
                Fixtures.spec(Fixtures.HOST_FAULT)
                    .grant(new FaultModule())
                    .instanceModel(InstanceModel.POOLED)
                    .limits(
                        ComponentLimits.builder()
                            .poolSize(threads)
                            .poolWait(Duration.ofSeconds(30))
                            .build())
                    .build());
        WasmComponent trusted =
            host.load(
                Fixtures.spec(Fixtures.MISBEHAVING)
                    .name("trusted")
                    .instanceModel(InstanceModel.SINGLE)
                    .limits(ComponentLimits.builder().poolWait(Duration.ofSeconds(30)).build())
                    .build())) {
      save(trusted, "k", "kept");
      AtomicInteger trustedCalls = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        workers.add(
            pool.submit(
                () -> {
                  ThreadLocalRandom random = ThreadLocalRandom.current();
                  for (int i = 0; i < rounds; i++) {
                    String key =
                        switch (random.nextInt(4)) {
                          case 0 -> "loop";
                          case 1 -> "trap";
                          default -> "plain-" + i;
                        };
                    try {
                      hostile.call(StateStoreContract.GET, get(key));
                    } catch (ComponentCallException expected) {
                      // A timeout or trap of that call.
                    }
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                    try {
                      faulty.call(StateStoreContract.GET, get("fault:" + (1 + random.nextInt(4))));
                    } catch (ComponentTrapException expected) {
                      // The fault of that call.
                    }
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                    try {
                      assertThat(data(trusted.call(StateStoreContract.GET, get("k"))))
                          .isEqualTo("kept");
                    } catch (Exception e) {
                      throw new AssertionError("a trusted call failed: " + e, e);
                    }
                    assertThat(Thread.currentThread().isInterrupted()).isFalse();
                    trustedCalls.incrementAndGet();
                  }
                  return null;
                }));
      }
      for (Future<?> worker : workers) {
        worker.get();
      }
      pool.shutdown();
      assertThat(trustedCalls).hasValue(threads * rounds);
      assertThat(trusted.discardedInstances()).isZero();
      assertThat(host.activeCalls()).isZero();
    }
  }
}
