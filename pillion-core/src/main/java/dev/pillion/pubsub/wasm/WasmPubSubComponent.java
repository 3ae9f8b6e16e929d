package dev.pillion.pubsub.wasm;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.pillion.abi.GuestError;
import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.abi.pubsub.AckRequest;
import dev.pillion.abi.pubsub.AckResponse;
import dev.pillion.abi.pubsub.BulkPublishRequest;
import dev.pillion.abi.pubsub.BulkPublishResponse;
import dev.pillion.abi.pubsub.FeaturesRequest;
import dev.pillion.abi.pubsub.FeaturesResponse;
import dev.pillion.abi.pubsub.InitRequest;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.Metadata;
import dev.pillion.abi.pubsub.PublishRequest;
import dev.pillion.abi.pubsub.PublishResponse;
import dev.pillion.abi.pubsub.PullRequest;
import dev.pillion.abi.pubsub.PullResponse;
import dev.pillion.abi.pubsub.SubscribeRequest;
import dev.pillion.abi.pubsub.UnsubscribeRequest;
import dev.pillion.block.wasm.ContractClient;
import dev.pillion.block.wasm.ContractComponent;
import dev.pillion.pubsub.InvalidPublishException;
import dev.pillion.pubsub.PubSubException;
import dev.pillion.pubsub.PubSubLimitException;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.wasm.ComponentCallException;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.WasmHost;
import java.util.List;
import java.util.Map;

/**
 * A pub/sub component implemented by any Wasm module that speaks the pub/sub contract (ABI version
 * 2).
 */
public final class WasmPubSubComponent extends ContractComponent implements PubSubComponent {
  /** The pub/sub block's exceptions for failed calls. */
  private static final ContractClient.ErrorMapping ERRORS =
      new ContractClient.ErrorMapping() {
        @Override
        public RuntimeException failure(String component, String message, Throwable cause) {
          return new PubSubException(component, message, cause);
        }

        @Override
        public RuntimeException translate(String component, ComponentCallException e, String key) {
          return WasmPubSubComponent.translate(component, e);
        }
      };

  /** Opens the block's components: init with the metadata, then features. */
  private static final ContractClient.Lifecycle LIFECYCLE =
      new ContractClient.Lifecycle(
          PubSubComponentContract.CONTRACT,
          PubSubComponentContract.INIT,
          (name, properties) ->
              InitRequest.newBuilder()
                  .setMetadata(Metadata.newBuilder().setName(name).putAllProperties(properties))
                  .build(),
          PubSubComponentContract.FEATURES,
          FeaturesRequest.getDefaultInstance(),
          ContractClient.FeaturesReader.of(
              FeaturesResponse.parser(), FeaturesResponse::getFeaturesList),
          ERRORS);

  private WasmPubSubComponent(ContractClient client) {
    super(client);
  }

  /**
   * Loads a module and initializes every instance with the component's metadata.
   *
   * @param host the Wasm host
   * @param spec the module to load; its contract and initializer are set here
   * @param properties the metadata properties passed to {@code pubsub_init}
   * @return the ready component
   */
  public static WasmPubSubComponent load(
      WasmHost host, ComponentSpec spec, Map<String, String> properties) {
    return LIFECYCLE.open(host, spec, properties, WasmPubSubComponent::new);
  }

  /**
   * Maps a failed call to the building block's exception: a guest's {@code INVALID_ARGUMENT} error
   * to {@link InvalidPublishException}, {@code RESOURCE_EXHAUSTED} to {@link PubSubLimitException},
   * anything else to {@link PubSubException} with the text.
   */
  static PubSubException translate(String name, ComponentCallException e) {
    if (e instanceof GuestErrorException guest) {
      if (guest.error().is(GuestError.INVALID_ARGUMENT)) {
        return new InvalidPublishException(name, guest.error().text());
      }
      if (guest.error().is(GuestError.RESOURCE_EXHAUSTED)) {
        return new PubSubLimitException(name, guest.error().text(), e);
      }
    }
    return new PubSubException(name, e.getMessage(), e);
  }

  /** Decodes a response (aliasing its bytes) as the contract client does. */
  static <T> T decode(String name, String method, Parser<T> parser, byte[] bytes) {
    return ContractClient.decode(name, method, parser, bytes, ERRORS);
  }

  private byte[] call(String method, MessageLite request) {
    return client().call(method, request, "");
  }

  @Override
  public String publish(PublishRequest request) {
    return client()
        .decode(
            PubSubComponentContract.PUBLISH,
            PublishResponse.parser(),
            call(PubSubComponentContract.PUBLISH, request))
        .getMessageId();
  }

  @Override
  public BulkPublishResponse bulkPublish(BulkPublishRequest request) {
    if (!client().hasMethod(PubSubComponentContract.BULK_PUBLISH)) {
      BulkPublishResponse.Builder response = BulkPublishResponse.newBuilder();
      for (var entry : request.getEntriesList()) {
        try {
          publish(
              PublishRequest.newBuilder()
                  .setTopic(request.getTopic())
                  .setData(entry.getData())
                  .setContentType(entry.getContentType())
                  .putAllMetadata(entry.getMetadataMap())
                  .build());
        } catch (PubSubException e) {
          response
              .addFailedEntriesBuilder()
              .setEntryId(entry.getEntryId())
              .setError(e.getMessage());
        }
      }
      return response.build();
    }
    return client()
        .decode(
            PubSubComponentContract.BULK_PUBLISH,
            BulkPublishResponse.parser(),
            call(PubSubComponentContract.BULK_PUBLISH, request));
  }

  @Override
  public void subscribe(String topic, String subscription) {
    call(
        PubSubComponentContract.SUBSCRIBE,
        SubscribeRequest.newBuilder().setTopic(topic).setSubscription(subscription).build());
  }

  @Override
  public void unsubscribe(String topic, String subscription) {
    call(
        PubSubComponentContract.UNSUBSCRIBE,
        UnsubscribeRequest.newBuilder().setTopic(topic).setSubscription(subscription).build());
  }

  @Override
  public List<Message> pull(PullRequest request) {
    return client()
        .decode(
            PubSubComponentContract.PULL,
            PullResponse.parser(),
            call(PubSubComponentContract.PULL, request))
        .getMessagesList();
  }

  @Override
  public List<String> ack(AckRequest request) {
    return client()
        .decode(
            PubSubComponentContract.ACK,
            AckResponse.parser(),
            call(PubSubComponentContract.ACK, request))
        .getUnknownIdsList();
  }
}
