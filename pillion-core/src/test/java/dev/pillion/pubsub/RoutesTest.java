package dev.pillion.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CEL routing rules as Dapr users write them. */
class RoutesTest {
  private static Event event(String cloudEvent) {
    return CloudEvents.read(
        cloudEvent.getBytes(StandardCharsets.UTF_8), false, "1", "orders", "pubsub", Map.of(), 1);
  }

  @Test
  void standardMacrosWorkAsInDapr() {
    Routes routes =
        Routes.of(
            List.of(
                Map.entry("has(event.data.priority) && event.data.priority == \"high\"", "/urgent"),
                Map.entry("event.data.items.exists(i, i.sku == \"x\")", "/x"),
                Map.entry("event.data.items.all(i, i.qty > 0)", "/all-positive")),
            "/other",
            "test");
    String envelope = "{\"specversion\":\"1.0\",\"id\":\"e\",\"data\":%s}";
    assertThat(routes.select(event(envelope.formatted("{\"priority\":\"high\",\"items\":[]}"))))
        .contains("/urgent");
    assertThat(routes.select(event(envelope.formatted("{\"items\":[{\"sku\":\"x\",\"qty\":1}]}"))))
        .contains("/x");
    assertThat(routes.select(event(envelope.formatted("{\"items\":[{\"sku\":\"y\",\"qty\":2}]}"))))
        .contains("/all-positive");
    assertThat(routes.select(event(envelope.formatted("{\"items\":[{\"sku\":\"y\",\"qty\":0}]}"))))
        .contains("/other");
    assertThat(routes.select(event(envelope.formatted("\"text\"")))).contains("/other");
  }
}
