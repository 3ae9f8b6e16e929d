package dev.pillion.pubsub.wasm;

import com.google.protobuf.InvalidProtocolBufferException;
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
import dev.pillion.pubsub.InvalidPublishException;
import dev.pillion.pubsub.PubSubException;
import dev.pillion.pubsub.PubSubLimitException;
import dev.pillion.pubsub.spi.PubSubComponent;
import dev.pillion.wasm.ComponentCallException;
import dev.pillion.wasm.ComponentSpec;
import dev.pillion.wasm.GuestErrorException;
import dev.pillion.wasm.WasmComponent;
import dev.pillion.wasm.WasmHost;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pub/sub component implemented by any Wasm module that speaks the pub/sub contract (ABI version
 * 2).
 */
public final class WasmPubSubComponent implements PubSubComponent {
  private final String name;
  private final WasmComponent component;
  private final Set<String> features;

  private WasmPubSubComponent(String name, WasmComponent component, Set<String> features) {
    this.name = name;
    this.component = component;
    this.features = features;
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
    String name = spec.name();
    byte[] init =
        InitRequest.newBuilder()
            .setMetadata(Metadata.newBuilder().setName(name).putAllProperties(properties))
            .build()
            .toByteArray();
    WasmComponent component =
        host.load(
            spec.toBuilder()
                .contract(PubSubComponentContract.CONTRACT)
                .initializer(
                    instance -> {
                      try {
                        instance.call(PubSubComponentContract.INIT, init);
                      } catch (GuestErrorException e) {
                        throw new PubSubException(name, "init failed: " + e.error().text(), e);
                      }
                    })
                .build());
    try {
      FeaturesResponse features =
          decode(
              name,
              PubSubComponentContract.FEATURES,
              FeaturesResponse.parser(),
              call(
                  name,
                  component,
                  PubSubComponentContract.FEATURES,
                  FeaturesRequest.getDefaultInstance()));
      return new WasmPubSubComponent(name, component, Set.copyOf(features.getFeaturesList()));
    } catch (RuntimeException e) {
      component.close();
      throw e;
    }
  }

  private static byte[] call(
      String name, WasmComponent component, String method, MessageLite request) {
    try {
      return component.call(method, request.toByteArray());
    } catch (ComponentCallException e) {
      throw translate(name, e);
    }
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

  static <T> T decode(String name, String method, Parser<T> parser, byte[] bytes) {
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new PubSubException(
          name, "component returned a malformed response to " + method + ": " + e.getMessage(), e);
    }
  }

  private byte[] call(String method, MessageLite request) {
    return call(name, component, method, request);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Set<String> features() {
    return features;
  }

  @Override
  public String publish(PublishRequest request) {
    return decode(
            name,
            PubSubComponentContract.PUBLISH,
            PublishResponse.parser(),
            call(PubSubComponentContract.PUBLISH, request))
        .getMessageId();
  }

  @Override
  public BulkPublishResponse bulkPublish(BulkPublishRequest request) {
    if (!component.hasMethod(PubSubComponentContract.BULK_PUBLISH)) {
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
    return decode(
        name,
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
    return decode(
            name,
            PubSubComponentContract.PULL,
            PullResponse.parser(),
            call(PubSubComponentContract.PULL, request))
        .getMessagesList();
  }

  @Override
  public List<String> ack(AckRequest request) {
    return decode(
            name,
            PubSubComponentContract.ACK,
            AckResponse.parser(),
            call(PubSubComponentContract.ACK, request))
        .getUnknownIdsList();
  }

  @Override
  public void close() {
    component.close();
  }
}
