package dev.pillion.sdk.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.invoke.InvocationRequest;
import dev.pillion.invoke.InvocationResponse;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprHttp;
import io.dapr.client.domain.HttpExtension;
import io.dapr.exceptions.DaprException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The official SDK's {@code invokeMethod} on the embedded client reaches in-process handlers of
 * another runtime of the JVM: the SDK's HTTP call lands on the loopback listener, and the
 * invocation itself is in-process.
 */
class EmbeddedSdkInvocationTest {

  @Test
  void invokeMethodReachesAnInProcessHandlerWithEveryVerb() throws Exception {
    AtomicReference<InvocationRequest> seen = new AtomicReference<>();
    try (Pillion checkout = Pillion.builder().appId("embedded-checkout").build();
        Pillion orders = Pillion.builder().appId("embedded-orders").build();
        EmbeddedDapr dapr = EmbeddedDapr.start(orders);
        DaprClient client = dapr.client()) {
      checkout.onInvoke(
          "pay/card",
          request -> {
            seen.set(request);
            return InvocationResponse.builder()
                .contentType("application/octet-stream")
                .body((request.verb() + ":" + request.bodyText()).getBytes(StandardCharsets.UTF_8))
                .build();
          });
      checkout.onInvoke(
          "conflict",
          request ->
              InvocationResponse.builder()
                  .status(409)
                  .contentType("text/plain")
                  .body("already paid")
                  .build());
      for (DaprHttp.HttpMethods verb :
          List.of(
              DaprHttp.HttpMethods.GET,
              DaprHttp.HttpMethods.POST,
              DaprHttp.HttpMethods.PUT,
              DaprHttp.HttpMethods.DELETE)) {
        byte[] body =
            verb == DaprHttp.HttpMethods.POST || verb == DaprHttp.HttpMethods.PUT
                ? "42".getBytes(StandardCharsets.UTF_8)
                : new byte[0];
        byte[] answer =
            client
                .invokeMethod(
                    "embedded-checkout",
                    "pay/card",
                    body,
                    new HttpExtension(
                        verb, Map.of("currency", List.of("EUR")), Map.of("x-order", "o-1")),
                    Map.of())
                .block(Duration.ofSeconds(30));
        assertThat(new String(answer, StandardCharsets.UTF_8))
            .isEqualTo(verb.name() + ":" + new String(body, StandardCharsets.UTF_8));
        InvocationRequest request = seen.get();
        assertThat(request.verb()).isEqualTo(verb.name());
        assertThat(request.query()).isEqualTo("currency=EUR");
        assertThat(request.header("x-order")).contains("o-1");
        assertThat(request.header("dapr-caller-app-id")).contains("embedded-orders");
      }
      assertThatThrownBy(
              () ->
                  client
                      .invokeMethod(
                          "embedded-checkout",
                          "conflict",
                          new byte[0],
                          HttpExtension.POST,
                          Map.of())
                      .block(Duration.ofSeconds(30)))
          .isInstanceOfSatisfying(
              DaprException.class,
              e -> {
                assertThat(e.getHttpStatusCode()).isEqualTo(409);
                assertThat(new String(e.getPayload(), StandardCharsets.UTF_8))
                    .isEqualTo("already paid");
              });
      assertThatThrownBy(
              () ->
                  client
                      .invokeMethod(
                          "embedded-nobody", "x", new byte[0], HttpExtension.POST, Map.of())
                      .block(Duration.ofSeconds(30)))
          .isInstanceOfSatisfying(
              DaprException.class,
              e -> {
                assertThat(e.getHttpStatusCode()).isEqualTo(500);
                assertThat(e.getErrorCode()).isEqualTo("ERR_DIRECT_INVOKE");
                assertThat(e.getMessage()).contains("embedded-nobody");
              });
    }
  }
}
