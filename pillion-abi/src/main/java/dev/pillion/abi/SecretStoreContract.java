package dev.pillion.abi;

import java.util.List;
import java.util.Set;

/**
 * The secret store component contract, {@code package secretstores; service SecretStore} in {@code
 * proto/secretstores/secretstores.proto}. A secret the store does not have is the guest error
 * {@link GuestError#NOT_FOUND}.
 */
public final class SecretStoreContract {
  /** {@code secretstore_init}. */
  public static final String INIT = "init";

  /** {@code secretstore_features}. */
  public static final String FEATURES = "features";

  /** {@code secretstore_get_secret}. */
  public static final String GET_SECRET = "get_secret";

  /** {@code secretstore_bulk_get_secret}. */
  public static final String BULK_GET_SECRET = "bulk_get_secret";

  /** The feature of a store whose secrets may hold several keys. */
  public static final String MULTIPLE_KEY_VALUES_PER_SECRET = "MULTIPLE_KEY_VALUES_PER_SECRET";

  /**
   * The contract: ABI version 2 only (errors are part of it: a missing secret must be told apart
   * from an empty one).
   */
  public static final ServiceContract CONTRACT =
      new ServiceContract(
          "secretstores.SecretStore",
          "secretstore",
          List.of(INIT, FEATURES, GET_SECRET, BULK_GET_SECRET),
          List.of(),
          Set.of(AbiVersion.V2));

  private SecretStoreContract() {}
}
