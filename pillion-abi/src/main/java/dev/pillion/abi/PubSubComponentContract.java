package dev.pillion.abi;

import java.util.List;
import java.util.Set;

/**
 * The pub/sub component contract, {@code package pubsub; service PubSub} in {@code
 * proto/pubsub/pubsub.proto}.
 */
public final class PubSubComponentContract {
  /** {@code pubsub_init}. */
  public static final String INIT = "init";

  /** {@code pubsub_features}. */
  public static final String FEATURES = "features";

  /** {@code pubsub_publish}. */
  public static final String PUBLISH = "publish";

  /** {@code pubsub_subscribe}. */
  public static final String SUBSCRIBE = "subscribe";

  /** {@code pubsub_unsubscribe}. */
  public static final String UNSUBSCRIBE = "unsubscribe";

  /** {@code pubsub_pull}. */
  public static final String PULL = "pull";

  /** {@code pubsub_ack}. */
  public static final String ACK = "ack";

  /** {@code pubsub_bulk_publish}, optional. */
  public static final String BULK_PUBLISH = "bulk_publish";

  /** {@code pubsub_ping}, optional. */
  public static final String PING = "ping";

  /**
   * The contract: ABI version 2 only (there is no go-plugin era pub/sub module to stay compatible
   * with).
   */
  public static final ServiceContract CONTRACT =
      new ServiceContract(
          "pubsub.PubSub",
          "pubsub",
          List.of(INIT, FEATURES, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PULL, ACK),
          List.of(BULK_PUBLISH, PING),
          Set.of(AbiVersion.V2));

  private PubSubComponentContract() {}
}
