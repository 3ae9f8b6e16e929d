package dev.pillion.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.SubscriptionDefinition;
import dev.pillion.pubsub.SubscriptionYaml;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Arbitrary text read as a Dapr resources file: it loads, or it is refused with a {@link
 * ComponentConfigException} whose message names the file; never another exception, never a hang.
 * What loads is usable: definitions have a name and a type, and subscription routes pick a route
 * for an event without throwing.
 *
 * <p>{@code mvn verify} runs the seeds in {@code ComponentYamlFuzzTestInputs} (Jazzer's regression
 * mode); {@code scripts/fuzz.sh} fuzzes (docs/fuzzing.md).
 */
class ComponentYamlFuzzTest {
  private static final String FILE = "fuzz/resources.yaml";
  private static final ComponentYaml YAML = ComponentYaml.create();
  private static final Event EVENT =
      Event.builder("id-1", "orders", "pubsub")
          .source("shop")
          .type("order.created")
          .specVersion("1.0")
          .dataContentType("application/json")
          .data("{\"total\":150,\"items\":[1,2]}".getBytes(StandardCharsets.UTF_8))
          .cloudEvent(
              ("{\"specversion\":\"1.0\",\"id\":\"id-1\",\"source\":\"shop\",\"type\":\"order.created\","
                      + "\"datacontenttype\":\"application/json\",\"data\":{\"total\":150,\"items\":[1,2]}}")
                  .getBytes(StandardCharsets.UTF_8))
          .build();

  @FuzzTest
  // One token per entry: Jazzer writes them to a libFuzzer dictionary, one line each.
  @DictionaryEntries({
    "apiVersion: ",
    "dapr.io/v1alpha1",
    "dapr.io/v2alpha1",
    "kind: ",
    "Component",
    "Subscription",
    "Resiliency",
    "metadata:",
    "name: ",
    "spec:",
    "type: ",
    "state.in-memory",
    "pubsub.in-memory",
    "state.wasm",
    "version: v1",
    "initTimeout: ",
    "ignoreErrors: ",
    "value: ",
    "envRef: SET",
    "secretKeyRef",
    "scopes:",
    "auth:",
    "topic: ",
    "pubsubname: ",
    "route: ",
    "routes:",
    "rules:",
    "match: ",
    "path: ",
    "default: ",
    "deadLetterTopic: ",
    "bulkSubscribe:",
    "enabled: true",
    "event.data.total > 100",
    "has(event.data.x)",
    "- ",
    "---",
    "&a ",
    "*a",
    "!!binary ",
    "500ms",
    "1m30s",
    "0s"
  })
  void loadsOrRefusesWithAConfigError(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    ComponentYaml.Resources resources;
    List<SubscriptionDefinition> subscriptions;
    try {
      resources = YAML.loadText(text, FILE, Path.of("fuzz"));
      subscriptions = SubscriptionYaml.read(resources.documents());
    } catch (ComponentConfigException e) {
      assertThat(e.getMessage()).as("the refusal names the file").contains(FILE);
      return;
    }
    for (ComponentDefinition component : resources.components()) {
      assertThat(component.name()).isNotEmpty();
      assertThat(component.type()).isNotEmpty();
      assertThat(component.version()).isNotEmpty();
      assertThat(component.initTimeout()).isPositive();
      assertThat(component.origin()).startsWith(FILE);
      assertThat(component.toString()).contains(component.name());
      component.buildingBlock();
      component.inScope("shop");
      component.metadataValues().forEach((key, value) -> assertThat(value).isNotNull());
      assertThat(component.isResolved())
          .isEqualTo(
              component.metadataValues().values().stream()
                  .allMatch(MetadataValue.Literal.class::isInstance));
    }
    for (SubscriptionDefinition subscription : subscriptions) {
      assertThat(subscription.name()).isNotEmpty();
      assertThat(subscription.topic()).isNotEmpty();
      assertThat(subscription.pubsubName()).isNotEmpty();
      subscription.routes().select(EVENT);
      assertThat(subscription.routes().paths()).isNotEmpty();
      subscription.inScope("shop");
    }
  }
}
