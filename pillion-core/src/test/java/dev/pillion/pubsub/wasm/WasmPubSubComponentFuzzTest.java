package dev.pillion.pubsub.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.pillion.abi.GuestError;
import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.abi.pubsub.AckResponse;
import dev.pillion.abi.pubsub.BulkPublishResponse;
import dev.pillion.abi.pubsub.FeaturesResponse;
import dev.pillion.abi.pubsub.PublishResponse;
import dev.pillion.abi.pubsub.PullResponse;
import dev.pillion.pubsub.InvalidPublishException;
import dev.pillion.pubsub.PubSubException;
import dev.pillion.pubsub.PubSubLimitException;
import dev.pillion.wasm.ComponentCallException;
import dev.pillion.wasm.GuestErrorException;
import java.nio.charset.StandardCharsets;

/**
 * What a pub/sub guest returns, decoded by {@link WasmPubSubComponent}: arbitrary response bytes
 * give the message or a {@link PubSubException} naming the component and the method, and arbitrary
 * error texts give a {@link PubSubException}; never anything else. (What a pulled message carries
 * is read into an event by {@code dev.pillion.pubsub.CloudEventsFuzzTest}.)
 *
 * <p>{@code mvn verify} runs the seeds in {@code WasmPubSubComponentFuzzTestInputs}; {@code
 * scripts/fuzz.sh} fuzzes (docs/fuzzing.md).
 */
class WasmPubSubComponentFuzzTest {
  private static final String PUBSUB = "fuzzpubsub";

  private record Response(String method, Parser<? extends MessageLite> parser) {}

  private static final Response[] RESPONSES = {
    new Response(PubSubComponentContract.PULL, PullResponse.parser()),
    new Response(PubSubComponentContract.ACK, AckResponse.parser()),
    new Response(PubSubComponentContract.PUBLISH, PublishResponse.parser()),
    new Response(PubSubComponentContract.BULK_PUBLISH, BulkPublishResponse.parser()),
    new Response(PubSubComponentContract.FEATURES, FeaturesResponse.parser()),
  };

  /**
   * The input is the guest's response block followed by 2 control bytes (FuzzedDataProvider takes
   * them from the end): the method's index and the error flag.
   */
  @FuzzTest
  void responsesDecodeOrFailTyped(FuzzedDataProvider data) {
    boolean isError = data.consumeBoolean();
    Response response = data.pickValue(RESPONSES);
    byte[] bytes = data.consumeRemainingAsBytes();
    if (isError) {
      GuestError error = GuestError.parse(new String(bytes, StandardCharsets.UTF_8));
      ComponentCallException call = new GuestErrorException(PUBSUB, response.method(), error);
      PubSubException e = WasmPubSubComponent.translate(PUBSUB, call);
      assertThat(e.pubsub()).isEqualTo(PUBSUB);
      assertThat(e.getMessage()).startsWith("pubsub '" + PUBSUB + "': ");
      assertThat(e)
          .isExactlyInstanceOf(
              error.is(GuestError.INVALID_ARGUMENT)
                  ? InvalidPublishException.class
                  : error.is(GuestError.RESOURCE_EXHAUSTED)
                      ? PubSubLimitException.class
                      : PubSubException.class);
      return;
    }
    try {
      MessageLite message =
          WasmPubSubComponent.decode(PUBSUB, response.method(), response.parser(), bytes);
      assertThat(message).isNotNull();
      if (message instanceof PullResponse pull) {
        // What the delivery loop reads of each message.
        pull.getMessagesList()
            .forEach(
                m -> {
                  m.getData().toByteArray();
                  m.getMetadataMap();
                  Integer.toUnsignedLong(m.getDeliveryCount());
                });
      }
    } catch (PubSubException e) {
      assertThat(e.getMessage())
          .startsWith("pubsub '" + PUBSUB + "': ")
          .contains("malformed response to " + response.method());
    }
  }
}
