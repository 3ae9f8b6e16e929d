package dev.pillion.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.GetRequest;
import dev.pillion.abi.state.SetRequest;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An idle timeout closes instances nobody uses, so an idle component holds no guest memory; the
 * next call makes a new instance, and an instance in a call is never taken.
 */
class IdleEvictionTest {
  private static byte[] set(String key, String value) {
    return SetRequest.newBuilder()
        .setKey(key)
        .setData(ByteString.copyFromUtf8(value))
        .build()
        .toByteArray();
  }

  private static byte[] get(String key) {
    return GetRequest.newBuilder().setKey(key).build().toByteArray();
  }

  private static void awaitLive(WasmComponent component, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (component.liveInstances() != expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(component.liveInstances()).isEqualTo(expected);
  }

  @Test
  void idleInstancesCloseAndTheNextCallMakesANewOne() throws Exception {
    ComponentLimits limits =
        ComponentLimits.builder().idleTimeout(Duration.ofMillis(200)).poolSize(2).build();
    try (WasmHost host = WasmHost.create();
        WasmComponent component =
            host.load(
                Fixtures.spec(Fixtures.MISBEHAVING)
                    .instanceModel(InstanceModel.POOLED)
                    .limits(limits)
                    .build())) {
      assertThat(component.liveInstances()).as("the instance made at load").isEqualTo(1);
      awaitLive(component, 0);
      component.call(StateStoreContract.SET, set("k", "v"));
      assertThat(component.liveInstances()).isEqualTo(1);
      awaitLive(component, 0);
      assertThat(component.discardedInstances())
          .as("evicted, not discarded after a fault")
          .isZero();
    }
  }

  @Test
  void withoutAnIdleTimeoutInstancesStay() throws Exception {
    try (WasmHost host = WasmHost.create();
        WasmComponent component =
            host.load(
                Fixtures.spec(Fixtures.MISBEHAVING).instanceModel(InstanceModel.POOLED).build())) {
      component.call(StateStoreContract.SET, set("k", "v"));
      assertThat(component.call(StateStoreContract.GET, get("k"))).isNotEmpty();
      // A witness with an idle timeout, loaded after the call, is evicted by the host's one
      // sweeper thread at least 200 ms later: a sweep of the first component, had it one (every
      // 100 ms at the least), would have run before it, on the same thread.
      try (WasmComponent witness =
          host.load(
              Fixtures.spec(Fixtures.MISBEHAVING)
                  .name("witness")
                  .instanceModel(InstanceModel.POOLED)
                  .limits(ComponentLimits.builder().idleTimeout(Duration.ofMillis(200)).build())
                  .build())) {
        awaitLive(witness, 0);
      }
      assertThat(component.liveInstances()).as("not evicted").isEqualTo(1);
    }
  }

  @Test
  void anInstanceInACallIsNotEvicted() throws Exception {
    ComponentLimits limits =
        ComponentLimits.builder()
            .idleTimeout(Duration.ofMillis(100))
            .callTimeout(Duration.ofMillis(800))
            .build();
    try (WasmHost host = WasmHost.create();
        WasmComponent component =
            host.load(
                Fixtures.spec(Fixtures.MISBEHAVING)
                    .instanceModel(InstanceModel.SINGLE)
                    .limits(limits)
                    .build())) {
      // A call that loops until its timeout outlives several sweeps; its instance is discarded by
      // the timeout (a fault), never closed under it by the sweeper.
      try {
        component.call(StateStoreContract.GET, get("loop"));
      } catch (ComponentTimeoutException expected) {
        // the loop's end
      }
      assertThat(component.discardedInstances()).isEqualTo(1);
      component.call(StateStoreContract.SET, set("after", "x"));
      assertThat(component.call(StateStoreContract.GET, get("after"))).isNotEmpty();
    }
  }
}
