package dev.pillion.state.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.pillion.abi.AbiVersion;
import dev.pillion.abi.GuestError;
import dev.pillion.abi.PackedResult;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.BulkGetResponse;
import dev.pillion.abi.state.FeaturesResponse;
import dev.pillion.abi.state.GetResponse;
import dev.pillion.state.EtagException;
import dev.pillion.state.EtagInvalidException;
import dev.pillion.state.EtagMismatchException;
import dev.pillion.state.InvalidStateRequestException;
import dev.pillion.state.StateException;
import dev.pillion.state.StateLimitException;
import dev.pillion.state.StateNotSupportedException;
import dev.pillion.wasm.GuestErrorException;
import java.nio.charset.StandardCharsets;

/**
 * What a state guest returns, decoded by {@link WasmStateComponent}: arbitrary response bytes give
 * the message or a {@link StateException} naming the store and the method, and arbitrary error
 * texts (ABI version 2) give a typed {@link StateException}; never anything else.
 *
 * <p>{@code mvn verify} runs the seeds in {@code WasmStateComponentFuzzTestInputs}; {@code
 * scripts/fuzz.sh} fuzzes (docs/fuzzing.md).
 */
class WasmStateComponentFuzzTest {
  private static final String STORE = "fuzzstore";

  private record Response(String method, Parser<? extends MessageLite> parser) {}

  private static final Response[] RESPONSES = {
    new Response(StateStoreContract.GET, GetResponse.parser()),
    new Response(StateStoreContract.BULK_GET, BulkGetResponse.parser()),
    new Response(StateStoreContract.FEATURES, FeaturesResponse.parser()),
  };

  private static final String[] KEYS = {"", "order-1", "a||b"};

  /**
   * The input is the guest's response block followed by 11 control bytes (FuzzedDataProvider takes
   * them from the end): the request key's index, the method's index, the error flag and the packed
   * i64, so a seed is a response with those bytes appended.
   */
  @FuzzTest
  void responsesDecodeOrFailTyped(FuzzedDataProvider data) {
    long packed = data.consumeLong();
    boolean isError = data.consumeBoolean();
    Response response = data.pickValue(RESPONSES);
    String requestKey = data.pickValue(KEYS);
    byte[] bytes = data.consumeRemainingAsBytes();

    // The packed i64 the guest returns: v2 splits off the error flag, v1 never has one.
    assertThat(PackedResult.length(packed, AbiVersion.V2)).isBetween(0L, (long) Integer.MAX_VALUE);
    assertThat(PackedResult.isError(packed, AbiVersion.V1)).isFalse();
    assertThat(
            PackedResult.pack(
                PackedResult.pointer(packed),
                (int) PackedResult.length(packed, AbiVersion.V2),
                PackedResult.isError(packed, AbiVersion.V2)))
        .isEqualTo(packed);

    if (isError) {
      // The host reads an error block as UTF-8 text (GuestInstance) and maps its code.
      GuestError error = GuestError.parse(new String(bytes, StandardCharsets.UTF_8));
      error.key();
      error.detail();
      StateException e =
          WasmStateComponent.translate(
              STORE, new GuestErrorException(STORE, response.method(), error), requestKey);
      assertThat(e.store()).isEqualTo(STORE);
      assertThat(e.getMessage()).startsWith("state store '" + STORE + "': ");
      // Each code the ABI defines has its exception; any other text is a plain StateException.
      Class<? extends StateException> expected =
          error.is(GuestError.ETAG_MISMATCH)
              ? EtagMismatchException.class
              : error.is(GuestError.ETAG_INVALID)
                  ? EtagInvalidException.class
                  : error.is(GuestError.INVALID_ARGUMENT)
                      ? InvalidStateRequestException.class
                      : error.is(GuestError.NOT_SUPPORTED)
                          ? StateNotSupportedException.class
                          : error.is(GuestError.RESOURCE_EXHAUSTED)
                              ? StateLimitException.class
                              : StateException.class;
      assertThat(e).isExactlyInstanceOf(expected);
      if (e instanceof EtagException etag) {
        assertThat(etag.key()).isEqualTo(error.key().orElse(requestKey));
      }
      return;
    }
    try {
      MessageLite message =
          WasmStateComponent.decode(STORE, response.method(), response.parser(), bytes);
      assertThat(message).isNotNull();
      message.toByteArray();
    } catch (StateException e) {
      assertThat(e.getMessage())
          .startsWith("state store '" + STORE + "': ")
          .contains("malformed response to " + response.method());
    }
  }
}
