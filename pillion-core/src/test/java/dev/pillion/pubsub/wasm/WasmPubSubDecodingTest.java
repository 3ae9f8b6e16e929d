package dev.pillion.pubsub.wasm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.pillion.abi.PubSubComponentContract;
import dev.pillion.abi.pubsub.Message;
import dev.pillion.abi.pubsub.PullResponse;
import dev.pillion.pubsub.PubSubException;
import org.junit.jupiter.api.Test;

/** Pub/sub responses decode as state responses do, through the one contract client. */
class WasmPubSubDecodingTest {
  @Test
  void pulledDataAliasesTheResponseInsteadOfCopyingIt() {
    byte[] response =
        PullResponse.newBuilder()
            .addMessages(Message.newBuilder().setData(ByteString.copyFromUtf8("payload")))
            .build()
            .toByteArray();
    PullResponse pulled =
        WasmPubSubComponent.decode(
            "bus", PubSubComponentContract.PULL, PullResponse.parser(), response);
    assertThat(pulled.getMessages(0).getData().toStringUtf8()).isEqualTo("payload");
    // Only a view of the response array sees a change made to it after decoding.
    int at = indexOf(response, "payload".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    response[at] = 'P';
    assertThat(pulled.getMessages(0).getData().toStringUtf8()).isEqualTo("Payload");
  }

  @Test
  void aMalformedResponseNamesTheComponentTheMethodAndItsSize() {
    assertThatThrownBy(
            () ->
                WasmPubSubComponent.decode(
                    "bus", PubSubComponentContract.PULL, PullResponse.parser(), new byte[] {10, 5}))
        .isExactlyInstanceOf(PubSubException.class)
        .hasMessageStartingWith(
            "pubsub 'bus': component returned a malformed response to pull (2 bytes)");
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
