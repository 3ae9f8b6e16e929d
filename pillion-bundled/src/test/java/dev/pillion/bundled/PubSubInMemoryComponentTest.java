package dev.pillion.bundled;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.abi.pubsub.Ack;
import dev.pillion.abi.pubsub.AckOutcome;
import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.abi.pubsub.FeaturesRequest;
import dev.pillion.abi.pubsub.FeaturesResponse;
import dev.pillion.abi.pubsub.InitRequest;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PublishRequest;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.abi.pubsub.PullResponse;
import dev.pillion.abi.pubsub.SubscribeRequest;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.Engine;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.InstanceModel;
import dev.pillion.wasm.ModuleSource;
import dev.pillion.wasm.WasmComponent;
import dev.pillion.wasm.WasmHost;
import dev.pillion.wasm.capability.KeyValueModule;
import dev.pillion.wasm.capability.KeyValueStore;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bundled in-memory pub/sub component, through the Wasm host on both engines: subscriptions,
 * leases, acknowledgement outcomes and order. (The pub/sub building block on top of it is issue "3
 * of 3".)
 */
class PubSubInMemoryComponentTest {
  private static WasmComponent load(WasmHost host, Engine engine) {
    ModuleSource source =
        engine == Engine.COMPILED
            ? BundledComponents.pubsubInMemory()
            : BundledComponents.pubsubInMemoryWasm();
    byte[] init = InitRequest.getDefaultInstance().toByteArray();
    return host.load(
        ComponentSpec.builder()
            .name("pubsub")
            .contract(PubSubComponentContract.CONTRACT)
            .source(source)
            .engine(engine)
            .grant(KeyValueModule.create(KeyValueStore.builder("pubsub").ordered(true).build()))
            .instanceModel(InstanceModel.POOLED)
            .initializer(instance -> instance.call(PubSubComponentContract.INIT, init))
            .build());
  }

  private static List<Message> pull(WasmComponent pubsub, String subscription, boolean ordered)
      throws InvalidProtocolBufferException {
    byte[] response =
        pubsub.call(
            PubSubComponentContract.PULL,
            PullRequest.newBuilder()
                .setTopic("orders")
                .setSubscription(subscription)
                .setMaxMessages(10)
                .setLeaseMillis(60_000)
                .setOrdered(ordered)
                .build()
                .toByteArray());
    return PullResponse.parseFrom(response).getMessagesList();
  }

  private static void ack(
      WasmComponent pubsub, String subscription, String id, AckOutcome outcome) {
    pubsub.call(
        PubSubComponentContract.ACK,
        AckRequest.newBuilder()
            .setTopic("orders")
            .setSubscription(subscription)
            .addAcks(Ack.newBuilder().setId(id).setOutcome(outcome))
            .build()
            .toByteArray());
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void publishSubscribePullAck(Engine engine) throws Exception {
    try (WasmHost host = WasmHost.create();
        WasmComponent pubsub = load(host, engine)) {
      assertThat(
              FeaturesResponse.parseFrom(
                      pubsub.call(
                          PubSubComponentContract.FEATURES,
                          FeaturesRequest.getDefaultInstance().toByteArray()))
                  .getFeaturesList())
          .contains("BULK_PUBLISH");
      for (String subscription : List.of("billing", "shipping")) {
        pubsub.call(
            PubSubComponentContract.SUBSCRIBE,
            SubscribeRequest.newBuilder()
                .setTopic("orders")
                .setSubscription(subscription)
                .build()
                .toByteArray());
      }
      for (int i = 1; i <= 3; i++) {
        pubsub.call(
            PubSubComponentContract.PUBLISH,
            PublishRequest.newBuilder()
                .setTopic("orders")
                .setData(ByteString.copyFromUtf8("order-" + i))
                .setContentType("text/plain")
                .build()
                .toByteArray());
      }
      List<Message> billing = pull(pubsub, "billing", false);
      assertThat(billing)
          .extracting(m -> m.getData().toStringUtf8())
          .containsExactly("order-1", "order-2", "order-3");
      assertThat(billing).allSatisfy(m -> assertThat(m.getDeliveryCount()).isEqualTo(1));
      assertThat(pull(pubsub, "billing", false))
          .as("leased messages are not handed out twice")
          .isEmpty();
      assertThat(pull(pubsub, "shipping", false)).hasSize(3);

      ack(pubsub, "billing", billing.get(0).getId(), AckOutcome.RETRY);
      ack(pubsub, "billing", billing.get(1).getId(), AckOutcome.SUCCESS);
      ack(pubsub, "billing", billing.get(2).getId(), AckOutcome.DROP);
      List<Message> redelivered = pull(pubsub, "billing", true);
      assertThat(redelivered)
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.getData().toStringUtf8()).isEqualTo("order-1");
                assertThat(m.getDeliveryCount()).isEqualTo(2);
              });

      assertThatThrownBy(() -> pull(pubsub, "nobody", false))
          .isInstanceOf(GuestErrorException.class)
          .hasMessageContaining("no subscription 'nobody' on topic 'orders'");
    }
  }
}
