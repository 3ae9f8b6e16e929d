package dev.pillion.invoke;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.invoke.resolution.AppNotFoundException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Runtimes of one JVM invoke each other's in-process handlers by app id, with no socket. */
class InProcessInvocationTest {

  @Test
  void aRuntimeCallsAnotherRuntimesHandlerWithEverythingItSent() {
    AtomicReference<InvocationRequest> seen = new AtomicReference<>();
    try (Pillion orders = Pillion.builder().appId("inproc-orders").build();
        Pillion checkout = Pillion.builder().appId("inproc-checkout").build()) {
      checkout.onInvoke(
          "pay/now",
          request -> {
            seen.set(request);
            return InvocationResponse.builder()
                .status(201)
                .header("X-Receipt", "r-1")
                .header("set-cookie", "a=1")
                .header("set-cookie", "b=2")
                .contentType("application/json")
                .body("{\"paid\":true}")
                .build();
          });
      InvocationResponse answer =
          orders.invoke(
              "inproc-checkout",
              InvocationRequest.builder("/pay/now")
                  .verb("put")
                  .query("?amount=4%202")
                  .header("X-Trace", "t-1")
                  .contentType("text/plain")
                  .body("42")
                  .build());
      assertThat(answer.status()).isEqualTo(201);
      assertThat(answer.header("x-receipt")).contains("r-1");
      assertThat(answer.headers().get("set-cookie")).containsExactly("a=1", "b=2");
      assertThat(answer.contentType()).isEqualTo("application/json");
      assertThat(answer.bodyText()).isEqualTo("{\"paid\":true}");
      InvocationRequest request = seen.get();
      assertThat(request.method()).isEqualTo("pay/now");
      assertThat(request.verb()).isEqualTo("PUT");
      assertThat(request.query()).isEqualTo("amount=4%202");
      assertThat(request.header("x-trace")).contains("t-1");
      assertThat(request.contentType()).isEqualTo("text/plain");
      assertThat(request.bodyText()).isEqualTo("42");
    }
  }

  @Test
  void asyncInvocationAndTheNamespaceForm() throws Exception {
    try (Pillion a = Pillion.builder().appId("inproc-a").namespace("team").build();
        Pillion b = Pillion.builder().appId("inproc-b").namespace("team").build()) {
      b.onInvoke("hello", request -> InvocationResponse.ok("hello " + request.bodyText()));
      InvocationRequest request = InvocationRequest.builder("hello").body("a").build();
      assertThat(
              a.invocation()
                  .invokeAsync("inproc-b", request)
                  .toCompletableFuture()
                  .get(5, TimeUnit.SECONDS)
                  .bodyText())
          .isEqualTo("hello a");
      assertThat(a.invoke("inproc-b.team", request).bodyText()).isEqualTo("hello a");
      assertThatThrownBy(() -> a.invoke("inproc-b.default", request))
          .isInstanceOf(AppNotFoundException.class)
          .hasMessageContaining("inproc-b");
    }
  }

  @Test
  void failuresAreTypedAndNameWhatWasWrong() {
    try (Pillion a = Pillion.builder().appId("inproc-failures").build()) {
      InvocationRequest request = InvocationRequest.builder("x").build();
      assertThatThrownBy(() -> a.invoke("inproc-nobody", request))
          .isInstanceOf(AppNotFoundException.class)
          .hasMessageContaining("inproc-nobody")
          .hasMessageContaining("no runtime of this JVM serves it");
      assertThatThrownBy(
              () ->
                  a.invocation().invokeAsync("inproc-nobody", request).toCompletableFuture().join())
          .isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(AppNotFoundException.class);
      assertThatThrownBy(() -> a.invoke("a.b.c", request))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("target namespace 'b.c' contains a dot");
      for (String bad : List.of("", "/", "a/../b", "./x", "a\nb")) {
        assertThatThrownBy(() -> InvocationRequest.builder(bad))
            .as(bad)
            .isInstanceOf(InvalidMethodException.class);
      }
      // The runtime has no handlers and no app channel: it cannot be reached.
      assertThatThrownBy(() -> a.invoke("inproc-failures", request))
          .isInstanceOf(AppUnreachableException.class)
          .hasMessageContaining("no app channel");
      a.onInvoke("known", r -> InvocationResponse.ok("known"));
      assertThatThrownBy(() -> a.onInvoke("/known", r -> InvocationResponse.ok("again")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("already has a handler");
      // With handlers, a method without one is a 404, as an app's router answers.
      InvocationResponse missing = a.invoke("inproc-failures", request);
      assertThat(missing.status()).isEqualTo(404);
      assertThat(missing.bodyText()).contains("no handler for method 'x'");
      a.onInvoke(
          "boom",
          r -> {
            throw new IllegalStateException("exploded");
          });
      InvocationResponse failed =
          a.invoke("inproc-failures", InvocationRequest.builder("boom").build());
      assertThat(failed.status()).isEqualTo(500);
      assertThat(failed.bodyText()).contains("boom", "exploded");
    }
  }

  @Test
  void aClosedRuntimeIsNoLongerFoundAndOneWithoutAppIdTakesNoHandlers() {
    Pillion target = Pillion.builder().appId("inproc-closing").build();
    target.onInvoke("ping", r -> InvocationResponse.ok("pong"));
    try (Pillion caller = Pillion.builder().appId("inproc-caller").build();
        Pillion anonymous = Pillion.builder().build()) {
      InvocationRequest ping = InvocationRequest.builder("ping").build();
      assertThat(caller.invoke("inproc-closing", ping).bodyText()).isEqualTo("pong");
      target.close();
      assertThatThrownBy(() -> caller.invoke("inproc-closing", ping))
          .isInstanceOf(AppNotFoundException.class);
      assertThatThrownBy(() -> anonymous.onInvoke("ping", r -> InvocationResponse.ok("")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no app id");
    }
  }

  @Test
  void runtimesOutOfTheInProcessRegistryAreNotCalledDirectly() {
    try (Pillion hidden =
            Pillion.builder().appId("inproc-hidden").inProcessInvocation(false).build();
        Pillion caller = Pillion.builder().appId("inproc-looking").build()) {
      hidden.onInvoke("ping", r -> InvocationResponse.ok("pong"));
      assertThatThrownBy(
              () -> caller.invoke("inproc-hidden", InvocationRequest.builder("ping").build()))
          .isInstanceOf(AppNotFoundException.class);
    }
  }

  @Test
  void severalRuntimesWithOneAppIdTakeTurns() {
    try (Pillion first = Pillion.builder().appId("inproc-pair").build();
        Pillion second = Pillion.builder().appId("inproc-pair").build();
        Pillion caller = Pillion.builder().appId("inproc-pair-caller").build()) {
      first.onInvoke("who", r -> InvocationResponse.ok("first"));
      second.onInvoke("who", r -> InvocationResponse.ok("second"));
      InvocationRequest who = InvocationRequest.builder("who").build();
      List<String> answers =
          List.of(
              caller.invoke("inproc-pair", who).bodyText(),
              caller.invoke("inproc-pair", who).bodyText(),
              caller.invoke("inproc-pair", who).bodyText(),
              caller.invoke("inproc-pair", who).bodyText());
      assertThat(answers).containsOnly("first", "second");
      assertThat(answers.stream().filter("first"::equals).count()).isEqualTo(2);
    }
  }
}
