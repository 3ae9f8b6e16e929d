package dev.pillion.abi;

import java.util.List;
import java.util.Set;

/**
 * The contract of a Wasm app (docs/abi.md, "Wasm apps"): Dapr's {@code AppCallback} service as
 * exports {@code app_*}, with Dapr's own messages. ABI version 2 only (so {@code app_api_version}
 * is optional): a handler's error is a block flagged by bit 31 holding a {@code google.rpc.Status}.
 */
public final class AppContract {
  /** {@code app_on_invoke}: {@code InternalInvokeRequest} → {@code InternalInvokeResponse}. */
  public static final String ON_INVOKE = "on_invoke";

  /** {@code app_list_topic_subscriptions}: empty → {@code ListTopicSubscriptionsResponse}. */
  public static final String LIST_TOPIC_SUBSCRIPTIONS = "list_topic_subscriptions";

  /** {@code app_on_topic_event}: {@code TopicEventRequest} → {@code TopicEventResponse}. */
  public static final String ON_TOPIC_EVENT = "on_topic_event";

  /** The contract. */
  public static final ServiceContract CONTRACT =
      new ServiceContract(
          "dapr.proto.runtime.v1.AppCallback",
          "app",
          List.of(ON_INVOKE),
          List.of(LIST_TOPIC_SUBSCRIPTIONS, ON_TOPIC_EVENT),
          Set.of(AbiVersion.V2),
          true);

  private AppContract() {}
}
