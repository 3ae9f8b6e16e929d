package dev.pillion.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Invocations of an unhealthy app fail at once and never reach it; they resume on recovery. */
class AppHealthGateTest {

  @Test
  void callsToAnUnhealthyAppFailFastWithDaprdsMessageAndResumeWhenItRecovers() throws Exception {
    AtomicBoolean healthy = new AtomicBoolean(true);
    AtomicInteger reachedApp = new AtomicInteger();
    try (Pillion runtime = Pillion.builder().appId("gate-orders").build();
        Pillion caller = Pillion.builder().appId("gate-caller").build();
        AutoCloseable app =
            runtime
                .invocation()
                .connectApp(
                    request -> {
                      reachedApp.incrementAndGet();
                      return CompletableFuture.completedFuture(
                          InvocationResponse.builder().status(200).body("ok").build());
                    },
                    healthy::get)) {
      assertThat(caller.invoke("gate-orders", InvocationRequest.builder("ping").build()).status())
          .isEqualTo(200);

      healthy.set(false);
      assertThatThrownBy(
              () -> caller.invoke("gate-orders", InvocationRequest.builder("ping").build()))
          .isInstanceOf(AppUnhealthyException.class)
          .hasMessage("app is not in a healthy state")
          .satisfies(e -> assertThat(((AppUnhealthyException) e).appId()).isEqualTo("gate-orders"));
      assertThat(reachedApp.get()).isEqualTo(1);

      healthy.set(true);
      assertThat(caller.invoke("gate-orders", InvocationRequest.builder("ping").build()).status())
          .isEqualTo(200);
      assertThat(reachedApp.get()).isEqualTo(2);
    }
  }

  @Test
  void inProcessHandlersAreNotGated() throws Exception {
    try (Pillion runtime = Pillion.builder().appId("gate-handlers").build();
        AutoCloseable app =
            runtime
                .invocation()
                .connectApp(
                    request -> CompletableFuture.failedFuture(new AssertionError("not called")),
                    () -> false)) {
      runtime.onInvoke("local", request -> InvocationResponse.builder().status(204).build());
      assertThat(
              runtime.invoke("gate-handlers", InvocationRequest.builder("local").build()).status())
          .isEqualTo(204);
    }
  }
}
