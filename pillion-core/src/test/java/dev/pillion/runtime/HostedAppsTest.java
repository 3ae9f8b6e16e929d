package dev.pillion.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.pubsub.DefaultPubSub;
import dev.pillion.pubsub.DeliveryResult;
import dev.pillion.pubsub.Event;
import dev.pillion.pubsub.PublishRequest;
import dev.pillion.pubsub.SubscriptionOptions;
import dev.pillion.state.StateStoreNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A runtime hosting several apps ({@link Pillion#forApp}): one set of components, each app seeing
 * those in its scope with its own key prefix, subscriptions and event source.
 */
class HostedAppsTest {
  @TempDir Path resources;

  private void component(String name, String type, String... scopes) throws IOException {
    StringBuilder yaml =
        new StringBuilder(
            "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: "
                + name
                + "\nspec:\n  type: "
                + type
                + "\n  version: v1\n");
    if (scopes.length > 0) {
      yaml.append("scopes:\n");
      for (String scope : scopes) {
        yaml.append("- ").append(scope).append('\n');
      }
    }
    Files.writeString(resources.resolve(name + ".yaml"), yaml.toString());
  }

  private Pillion.Builder runtime() {
    return Pillion.builder()
        .resourcesPath(resources)
        .appId("host")
        .hostedApps(List.of("orders", "billing"));
  }

  @Test
  void eachAppSeesTheComponentsInItsScopeOnly() throws IOException {
    component("statestore", "state.in-memory");
    component("orders-only", "state.in-memory", "orders");
    try (Pillion runtime = runtime().build()) {
      assertThat(runtime.stateStoreNames())
          .as("the runtime's own app")
          .containsExactly("statestore");
      Pillion orders = runtime.forApp("orders");
      Pillion billing = runtime.forApp("billing");
      assertThat(orders.appId()).isEqualTo("orders");
      assertThat(orders.stateStoreNames()).containsExactlyInAnyOrder("statestore", "orders-only");
      assertThat(billing.stateStoreNames()).containsExactly("statestore");
      assertThatThrownBy(() -> billing.state("orders-only"))
          .isInstanceOf(StateStoreNotFoundException.class);
      assertThat(runtime.hostedApps()).containsExactlyInAnyOrder(orders, billing);
    }
  }

  @Test
  void appsShareAComponentsDataUnderTheirOwnKeyPrefixes() throws IOException {
    component("statestore", "state.in-memory");
    try (Pillion runtime = runtime().build()) {
      Pillion orders = runtime.forApp("orders");
      Pillion billing = runtime.forApp("billing");
      orders.state("statestore").save("k", "from orders");
      billing.state("statestore").save("k", "from billing");
      assertThat(orders.state("statestore").get("k").orElseThrow().value())
          .asString()
          .isEqualTo("from orders");
      assertThat(billing.state("statestore").get("k").orElseThrow().value())
          .asString()
          .isEqualTo("from billing");
      assertThat(runtime.state("statestore").get("k")).as("host||k").isEmpty();
    }
  }

  @Test
  void oneAppsEventsReachAnotherAndClosingAnAppStopsOnlyItsSubscriptions() throws Exception {
    component("pubsub", "pubsub.in-memory");
    BlockingQueue<Event> received = new LinkedBlockingQueue<>();
    try (Pillion runtime = runtime().build()) {
      Pillion orders = runtime.forApp("orders");
      Pillion billing = runtime.forApp("billing");
      billing
          .pubsub("pubsub")
          .subscribe(
              SubscriptionOptions.builder("orders").build(),
              event -> {
                received.add(event);
                return DeliveryResult.SUCCESS;
              });
      orders.pubsub("pubsub").publish(PublishRequest.builder("orders", "{\"id\":1}").build());
      Event event = received.poll(10, TimeUnit.SECONDS);
      assertThat(event).isNotNull();
      assertThat(event.source()).as("the publishing app").isEqualTo("orders");

      DefaultPubSub billingPubSub = (DefaultPubSub) billing.pubsub("pubsub");
      assertThat(billingPubSub.subscriptions()).hasSize(1);
      billing.close();
      assertThat(billingPubSub.subscriptions()).as("stopped with its app").isEmpty();
      assertThat(runtime.hostedApps()).containsExactly(orders);
      // The component stays open for the others: a new subscriber of billing gets what follows.
      Pillion billingAgain = runtime.forApp("billing");
      billingAgain
          .pubsub("pubsub")
          .subscribe(
              SubscriptionOptions.builder("orders").build(),
              e -> {
                received.add(e);
                return DeliveryResult.SUCCESS;
              });
      orders.pubsub("pubsub").publish(PublishRequest.builder("orders", "{\"id\":2}").build());
      Event next = received.poll(10, TimeUnit.SECONDS);
      assertThat(next).isNotNull();
      assertThat(new String(next.data(), StandardCharsets.UTF_8)).contains("\"id\":2");
    }
  }

  @Test
  void onlyDeclaredAppsAreHosted() throws IOException {
    component("statestore", "state.in-memory");
    try (Pillion runtime = runtime().build()) {
      assertThatThrownBy(() -> runtime.forApp("stranger"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'stranger'")
          .hasMessageContaining("billing, orders");
      Pillion orders = runtime.forApp("orders");
      assertThatThrownBy(() -> orders.forApp("billing")).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void closingTheRuntimeClosesItsHostedApps() throws IOException {
    component("statestore", "state.in-memory");
    Pillion runtime = runtime().build();
    runtime.forApp("orders");
    runtime.close();
    assertThat(runtime.hostedApps()).isEmpty();
  }
}
