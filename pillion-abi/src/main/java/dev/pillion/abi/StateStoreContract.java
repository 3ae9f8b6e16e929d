package dev.pillion.abi;

import java.util.List;
import java.util.Set;

/**
 * The state component contract, {@code package state; service Store} in {@code
 * proto/state/state.proto}.
 */
public final class StateStoreContract {
  /** {@code store_init}. */
  public static final String INIT = "init";

  /** {@code store_features}. */
  public static final String FEATURES = "features";

  /** {@code store_get}. */
  public static final String GET = "get";

  /** {@code store_set}. */
  public static final String SET = "set";

  /** {@code store_delete}. */
  public static final String DELETE = "delete";

  /** {@code store_bulk_get}, optional. */
  public static final String BULK_GET = "bulk_get";

  /** {@code store_bulk_set}, optional. */
  public static final String BULK_SET = "bulk_set";

  /** {@code store_bulk_delete}, optional. */
  public static final String BULK_DELETE = "bulk_delete";

  /** {@code store_transact}, optional. */
  public static final String TRANSACT = "transact";

  /** {@code store_ping}, optional. */
  public static final String PING = "ping";

  /** The contract: five required methods, five optional ones, ABI versions 1 and 2. */
  public static final ServiceContract CONTRACT =
      new ServiceContract(
          "state.Store",
          "store",
          List.of(INIT, FEATURES, GET, SET, DELETE),
          List.of(BULK_GET, BULK_SET, BULK_DELETE, TRANSACT, PING),
          Set.of(AbiVersion.V1, AbiVersion.V2));

  private StateStoreContract() {}
}
