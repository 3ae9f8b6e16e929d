package dev.pillion.server.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pillion.Pillion;
import dev.pillion.config.ComponentDefinition;
import dev.pillion.server.PillionServer;
import io.dapr.client.DaprClient;
import io.dapr.client.domain.ComponentMetadata;
import io.dapr.client.domain.DaprMetadata;
import io.dapr.client.domain.State;
import io.dapr.client.domain.StateOptions;
import io.dapr.client.domain.TransactionalStateOperation;
import io.dapr.exceptions.DaprErrorDetails;
import io.dapr.exceptions.DaprException;
import io.dapr.utils.TypeRef;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official Dapr Java SDK (1.17.1) against Pillion: the same test class runs against the server
 * over loopback gRPC and against the embedded, socket-free client.
 */
public abstract class DaprSdkContract {
  protected Pillion runtime;
  protected DaprClient client;

  /** Returns a client for the runtime; called after {@link #runtime} is built. */
  protected abstract DaprClient connect(Pillion runtime);

  /** Stops whatever {@link #connect} started. */
  protected abstract void disconnect();

  @BeforeEach
  void start() {
    runtime =
        Pillion.builder()
            .appId("sdk-app")
            .component(ComponentDefinition.builder("statestore", "state.in-memory").build())
            .component(ComponentDefinition.builder("pubsub", "pubsub.in-memory").build())
            .build();
    client = connect(runtime);
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    disconnect();
    runtime.close();
  }

  private static String reason(DaprException e) {
    return e.getErrorDetails()
        .get(DaprErrorDetails.ErrorDetailType.ERROR_INFO, "reason", TypeRef.STRING);
  }

  @Test
  void savesGetsAndDeletesState() {
    client.saveState("statestore", "order-1", "book").block();
    State<String> state = client.getState("statestore", "order-1", String.class).block();
    assertThat(state.getValue()).isEqualTo("book");
    assertThat(state.getEtag()).isNotEmpty();
    client.deleteState("statestore", "order-1").block();
    assertThat(client.getState("statestore", "order-1", String.class).block().getValue()).isNull();
  }

  @Test
  void etagsAndOptions() {
    StateOptions firstWrite =
        new StateOptions(StateOptions.Consistency.STRONG, StateOptions.Concurrency.FIRST_WRITE);
    client.saveState("statestore", "k", null, "v1", firstWrite).block();
    State<String> first = client.getState("statestore", "k", firstWrite, String.class).block();
    client.saveState("statestore", "k", first.getEtag(), "v2", firstWrite).block();
    State<String> second = client.getState("statestore", "k", String.class).block();
    assertThat(second.getValue()).isEqualTo("v2");
    assertThat(second.getEtag()).isNotEqualTo(first.getEtag());

    assertThatThrownBy(
            () -> client.saveState("statestore", "k", first.getEtag(), "v3", firstWrite).block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("ABORTED");
              assertThat(e.getMessage()).contains("etag mismatch");
            });
    assertThatThrownBy(
            () -> client.deleteState("statestore", "k", first.getEtag(), firstWrite).block())
        .isInstanceOfSatisfying(
            DaprException.class, e -> assertThat(e.getErrorCode()).isEqualTo("ABORTED"));
    client.deleteState("statestore", "k", second.getEtag(), firstWrite).block();
    assertThat(client.getState("statestore", "k", String.class).block().getValue()).isNull();
  }

  @Test
  void bulkGetAndBulkSave() {
    client
        .saveBulkState(
            "statestore",
            List.of(
                new State<>("b1", "one", (String) null), new State<>("b2", "two", (String) null)))
        .block();
    List<State<String>> states =
        client.getBulkState("statestore", List.of("b1", "missing", "b2"), String.class).block();
    assertThat(states).extracting(State::getKey).containsExactly("b1", "missing", "b2");
    assertThat(states).extracting(State::getValue).containsExactly("one", null, "two");
  }

  @Test
  void transactions() {
    client.saveState("statestore", "t-old", "x").block();
    client
        .executeStateTransaction(
            "statestore",
            List.of(
                new TransactionalStateOperation<>(
                    TransactionalStateOperation.OperationType.UPSERT,
                    new State<>("t1", "one", (String) null)),
                new TransactionalStateOperation<>(
                    TransactionalStateOperation.OperationType.DELETE, new State<>("t-old"))))
        .block();
    assertThat(client.getState("statestore", "t1", String.class).block().getValue())
        .isEqualTo("one");
    assertThat(client.getState("statestore", "t-old", String.class).block().getValue()).isNull();
  }

  @Test
  void metadataListsComponents() {
    DaprMetadata metadata = client.getMetadata().block();
    assertThat(metadata.getId()).isEqualTo("sdk-app");
    assertThat(metadata.getComponents())
        .extracting(
            ComponentMetadata::getName, ComponentMetadata::getType, ComponentMetadata::getVersion)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("statestore", "state.in-memory", "v1"),
            org.assertj.core.groups.Tuple.tuple("pubsub", "pubsub.in-memory", "v1"));
    assertThat(metadata.getComponents().get(0).getCapabilities())
        .contains("ETAG", "TRANSACTIONAL", "TTL", "ACTOR");
    assertThat(metadata.getAttributes())
        .containsEntry("daprRuntimeVersion", PillionServer.RUNTIME_VERSION);
  }

  @Test
  void saveStateWithMetadataSetsTheTtl() {
    client
        .saveState("statestore", "ttl", null, "v", java.util.Map.of("ttlInSeconds", "30"), null)
        .block();
    State<String> state = client.getState("statestore", "ttl", String.class).block();
    assertThat(state.getValue()).isEqualTo("v");
    java.time.Instant expiry = java.time.Instant.parse(state.getMetadata().get("ttlExpireTime"));
    assertThat(java.time.Duration.between(java.time.Instant.now(), expiry).toSeconds())
        .isBetween(20L, 30L);
  }

  @Test
  void missingStoreIsInvalidArgument() {
    assertThatThrownBy(() -> client.getState("nope", "k", String.class).block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("INVALID_ARGUMENT");
              assertThat(e.getMessage()).contains("state store nope is not found");
              assertThat(reason(e)).isEqualTo("DAPR_STATE_NOT_FOUND");
            });
  }

  @Test
  void unimplementedBuildingBlocksSaySo() {
    assertThatThrownBy(() -> client.invokeBinding("cron", "create", "tick").block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("UNIMPLEMENTED");
              assertThat(e.getMessage()).contains("the bindings API is not implemented by Pillion");
            });
  }

  @Test
  void withoutSecretStoresTheSecretsApiIsNotConfigured() {
    assertThatThrownBy(() -> client.getSecret("vault", "password").block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("FAILED_PRECONDITION");
              assertThat(e.getMessage()).endsWith("secret store is not configured");
              assertThat(reason(e)).isEqualTo("ERR_SECRET_STORES_NOT_CONFIGURED");
            });
  }

  @Test
  void publishedEventsReachInProcessSubscribers() throws Exception {
    java.util.concurrent.BlockingQueue<dev.pillion.pubsub.Event> received =
        new java.util.concurrent.LinkedBlockingQueue<>();
    try (dev.pillion.pubsub.Subscription subscription =
        runtime
            .pubsub("pubsub")
            .subscribe(
                dev.pillion.pubsub.SubscriptionOptions.builder("orders").build(),
                event -> {
                  received.add(event);
                  return dev.pillion.pubsub.DeliveryResult.SUCCESS;
                })) {
      client.publishEvent("pubsub", "orders", java.util.Map.of("orderId", 7)).block();
      dev.pillion.pubsub.Event event = received.poll(10, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(event).isNotNull();
      assertThat(event.source()).isEqualTo("sdk-app");
      assertThat(event.type()).isEqualTo("com.dapr.event.sent");
      assertThat(event.dataAsString()).contains("\"orderId\":7");
      assertThat(subscription.subscriptionName()).isEqualTo("sdk-app");
    }
  }

  @Test
  void aBulkPublishWithARepeatedEntryIdIsInvalidArgument() {
    io.dapr.client.domain.BulkPublishRequest<String> request =
        new io.dapr.client.domain.BulkPublishRequest<>(
            "pubsub",
            "orders",
            List.of(
                new io.dapr.client.domain.BulkPublishEntry<>("1", "a", "text/plain"),
                new io.dapr.client.domain.BulkPublishEntry<>("1", "b", "text/plain")));
    assertThatThrownBy(() -> client.publishEvents(request).block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("INVALID_ARGUMENT");
              assertThat(e.getMessage()).contains("entries[1] has the entryId '1' of entries[0]");
              assertThat(reason(e)).isEqualTo("DAPR_PUBSUB_MARSHAL_EVENTS");
            });
  }

  @Test
  void publishToAnUnknownPubSub() {
    assertThatThrownBy(() -> client.publishEvent("nope", "orders", "x").block())
        .isInstanceOfSatisfying(
            DaprException.class,
            e -> {
              assertThat(e.getErrorCode()).isEqualTo("INVALID_ARGUMENT");
              assertThat(e.getMessage()).contains("pubsub nope is not found");
              assertThat(reason(e)).isEqualTo("DAPR_PUBSUB_NOT_FOUND");
            });
  }
}
