package dev.pillion.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pillion.server.DaprApiError.StateOperation;
import dev.pillion.state.IllegalKeyException;
import dev.pillion.state.InvalidStateRequestException;
import org.junit.jupiter.api.Test;

/** Which daprd reason a malformed state request gets: decided by the exception's type. */
class StateErrorMappingTest {
  @Test
  void aKeyWithTheSeparatorIsAnIllegalKey() {
    DaprApiError error =
        DaprApiError.fromState(
            StateOperation.SAVE, new IllegalKeyException("statestore", "a||b"), true);

    assertThat(error.httpStatus()).isEqualTo(400);
    assertThat(error.errorCode()).isEqualTo("ERR_MALFORMED_REQUEST");
    assertThat(error.reason()).isEqualTo("DAPR_STATE_ILLEGAL_KEY");
    assertThat(error.message()).contains("input key 'a||b' can't contain '||'");
  }

  @Test
  void anotherMalformedRequestKeepsTheOperationsCodeWhateverItsText() {
    // The text alone used to decide: a message quoting the same words was an illegal key too.
    DaprApiError error =
        DaprApiError.fromState(
            StateOperation.SAVE,
            new InvalidStateRequestException("statestore", "metadata can't contain '||'"),
            true);

    assertThat(error.httpStatus()).isEqualTo(400);
    assertThat(error.reason()).isEqualTo("ERR_STATE_SAVE");
  }
}
