package dev.pillion.abi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AbiTest {
  @Test
  void packsAndUnpacksResults() {
    long packed = PackedResult.pack(0x10000, 42, false);
    assertThat(PackedResult.pointer(packed)).isEqualTo(0x10000);
    assertThat(PackedResult.length(packed, AbiVersion.V2)).isEqualTo(42);
    assertThat(PackedResult.isError(packed, AbiVersion.V2)).isFalse();

    long error = PackedResult.pack(0xFFFF0000, 7, true);
    assertThat(PackedResult.pointer(error)).isEqualTo(0xFFFF0000);
    assertThat(PackedResult.isError(error, AbiVersion.V2)).isTrue();
    assertThat(PackedResult.length(error, AbiVersion.V2)).isEqualTo(7);
    // Version 1 has no error flag: the bit is part of the length.
    assertThat(PackedResult.isError(error, AbiVersion.V1)).isFalse();
    assertThat(PackedResult.length(error, AbiVersion.V1)).isEqualTo(7 + (1L << 31));
  }

  @Test
  void versionsAreLookedUpByNumber() {
    assertThat(AbiVersion.of(1)).contains(AbiVersion.V1);
    assertThat(AbiVersion.of(2)).contains(AbiVersion.V2);
    assertThat(AbiVersion.of(3)).isEmpty();
    assertThat(AbiVersion.V2.hostFreesResponses()).isTrue();
    assertThat(AbiVersion.V1.hostFreesResponses()).isFalse();
  }

  @Test
  void guestErrorsSplitCodeKeyAndDetail() {
    GuestError error = GuestError.parse("ETAG_MISMATCH: key 'app||k': etag does not match");
    assertThat(error.is(GuestError.ETAG_MISMATCH)).isTrue();
    assertThat(error.key()).contains("app||k");
    assertThat(error.detail()).isEqualTo("etag does not match");

    GuestError plain = GuestError.parse("connection refused: redis:6379");
    assertThat(plain.code()).isEmpty();
    assertThat(plain.text()).isEqualTo("connection refused: redis:6379");
    assertThat(plain.key()).isEmpty();

    assertThat(GuestError.parse("lower: not a code").code()).isEmpty();
    assertThat(GuestError.parse("NOT_FOUND: x"))
        .as("equal by value, as the record was")
        .isEqualTo(GuestError.parse("NOT_FOUND: x"))
        .isNotEqualTo(GuestError.parse("not coded: x"));
    assertThat(GuestError.parse("NOT_FOUND: x")).hasToString("NOT_FOUND: x");
  }

  @Test
  void notFoundIsACode() {
    GuestError error = GuestError.parse("NOT_FOUND: secret db-password not found");
    assertThat(error.is(GuestError.NOT_FOUND)).isTrue();
    assertThat(error.text()).isEqualTo("secret db-password not found");
  }

  @Test
  void secretStoreContractNamesItsExports() {
    assertThat(SecretStoreContract.CONTRACT.exportName(SecretStoreContract.BULK_GET_SECRET))
        .isEqualTo("secretstore_bulk_get_secret");
    assertThat(SecretStoreContract.CONTRACT.versionExport()).isEqualTo("secretstore_api_version");
    assertThat(SecretStoreContract.CONTRACT.supportedVersions()).containsExactly(AbiVersion.V2);
  }

  @Test
  void stateContractNamesItsExports() {
    assertThat(StateStoreContract.CONTRACT.exportName(StateStoreContract.BULK_GET))
        .isEqualTo("store_bulk_get");
    assertThat(StateStoreContract.CONTRACT.versionExport()).isEqualTo("store_api_version");
  }
}
