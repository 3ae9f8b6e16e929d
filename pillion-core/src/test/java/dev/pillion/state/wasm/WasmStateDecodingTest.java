package dev.pillion.state.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.pillion.abi.StateStoreContract;
import dev.pillion.abi.state.GetResponse;
import org.junit.jupiter.api.Test;

/** A state value read from a guest is a view of the response, not a copy of it. */
class WasmStateDecodingTest {
  @Test
  void aValueAliasesTheResponse() {
    byte[] response =
        GetResponse.newBuilder().setData(ByteString.copyFromUtf8("value")).build().toByteArray();
    GetResponse decoded =
        WasmStateComponent.decode("store", StateStoreContract.GET, GetResponse.parser(), response);
    assertThat(decoded.getData().toStringUtf8()).isEqualTo("value");
    // The data field is the last bytes of the response.
    response[response.length - "value".length()] = 'V';
    assertThat(decoded.getData().toStringUtf8()).isEqualTo("Value");
  }
}
