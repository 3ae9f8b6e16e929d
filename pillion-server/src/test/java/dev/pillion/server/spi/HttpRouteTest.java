package dev.pillion.server.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Route patterns: literal segments, one-segment parameters, and a final rest parameter. */
class HttpRouteTest {
  private static final HttpRoute.Handler NOTHING =
      request -> CompletableFuture.completedFuture(HttpReply.empty(204));

  @Test
  void aParameterIsOneSegment() {
    HttpRoute route = HttpRoute.create("GET", "/v1.0/state/{store}/{key}", NOTHING);
    assertThat(route.matchesPath(List.of("v1.0", "state", "s", "k"))).isTrue();
    assertThat(route.parameters(List.of("v1.0", "state", "s", "a/b")))
        .isEqualTo(Map.of("store", "s", "key", "a/b"));
    assertThat(route.matchesPath(List.of("v1.0", "state", "s"))).isFalse();
    assertThat(route.matchesPath(List.of("v1.0", "state", "s", "k", "x"))).isFalse();
    assertThat(route.matchesPath(List.of("v1.0", "stat", "s", "k"))).isFalse();
    assertThat(route.shape()).isEqualTo("/v1.0/state/{}/{}");
  }

  @Test
  void aRestParameterTakesOneOrMoreSegmentsJoined() {
    HttpRoute route = HttpRoute.create("POST PUT", "/v1.0/publish/{pubsub}/{topic...}", NOTHING);
    assertThat(route.matchesPath(List.of("v1.0", "publish", "p"))).isFalse();
    assertThat(route.parameters(List.of("v1.0", "publish", "p", "a", "b")))
        .isEqualTo(Map.of("pubsub", "p", "topic", "a/b"));
    assertThat(route.shape()).isEqualTo("/v1.0/publish/{}/{...}");
  }

  @Test
  void methodsAreAListOrAny() {
    HttpRoute write = HttpRoute.create("POST PUT", "/v1.0/x", NOTHING);
    assertThat(write.takes("PUT")).isTrue();
    assertThat(write.takes("GET")).isFalse();
    HttpRoute any = HttpRoute.create("*", "/v1.0/invoke/{rest...}", NOTHING);
    assertThat(any.takes("PATCH")).isTrue();
    assertThat(any.methods()).isEmpty();
  }

  @Test
  void theTokenIsRequiredUnlessTheRouteSaysOtherwise() {
    HttpRoute route = HttpRoute.create("GET", "/v1.0/healthz", NOTHING);
    assertThat(route.apiTokenRequired()).isTrue();
    assertThat(route.withoutApiToken().apiTokenRequired()).isFalse();
  }

  @Test
  void malformedPatternsAreRefusedNamingThePattern() {
    assertThatThrownBy(() -> HttpRoute.create("GET", "v1.0/x", NOTHING))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'v1.0/x'");
    assertThatThrownBy(() -> HttpRoute.create("GET", "/v1.0//x", NOTHING))
        .hasMessageContaining("empty segment");
    assertThatThrownBy(() -> HttpRoute.create("GET", "/v1.0/{rest...}/x", NOTHING))
        .hasMessageContaining("only the last segment");
    assertThatThrownBy(() -> HttpRoute.create("GET", "/v1.0/a{b}", NOTHING))
        .hasMessageContaining("whole segment");
    assertThatThrownBy(() -> HttpRoute.create("GET", "/v1.0/{}", NOTHING))
        .hasMessageContaining("without a name");
    assertThatThrownBy(() -> HttpRoute.create(" ", "/v1.0/x", NOTHING))
        .hasMessageContaining("names no methods");
  }
}
