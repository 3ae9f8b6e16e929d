// order-counter: a Wasm app in AssemblyScript that keeps a count of orders.
//
// - Subscribes to topic `orders` of pub/sub `pubsub` (route `orders`): each event adds one to state key
//   `order-count` of store `statestore`. Instances run concurrently, so the count is written with first-write
//   concurrency against the etag it read (or, for the first order, only if the key is still absent) and the read
//   and write are retried when another instance wrote in between (ABORTED).
// - `GET /count` answers the count as text.

import {
  App,
  Code,
  Dapr,
  DaprError,
  Request,
  Response,
  Result,
  TopicEventRequest,
  TopicEventStatus,
  TopicSubscription,
  subscription,
  utf8,
} from "../../../../components/app-sdk-as/assembly";

export * from "../../../../components/app-sdk-as/assembly/exports";

const STORE = "statestore";
const KEY = "order-count";

/** The stored count: 0 when there is none yet; an error when the key holds something else than a count. */
function readCount(): Result<CountRead> {
  const read = Dapr.get(STORE, KEY);
  const error = read.error;
  if (error !== null) return Result.err<CountRead>(error);
  const state = read.value;
  if (state === null) return Result.ok<CountRead>(new CountRead(0, ""));
  const text = state.text();
  if (!isCount(text)) {
    return Result.err<CountRead>(DaprError.internal("state key " + KEY + " of " + STORE + " holds '" + text +
      "', not a count"));
  }
  return Result.ok<CountRead>(new CountRead(I64.parseInt(text), state.etag));
}

function isCount(text: string): bool {
  if (text.length == 0 || text.length > 18) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

class CountRead {
  constructor(readonly count: i64, readonly etag: string) {}
}

/** Adds one order to the count; retries while another instance wins the write. */
function countOrder(): DaprError | null {
  while (true) {
    const read = readCount();
    const readError = read.error;
    if (readError !== null) return readError;
    const current = read.value;
    const next = (current.count + 1).toString();
    const saved = Dapr.saveIf(STORE, KEY, utf8(next), current.etag);
    if (saved === null) return null;
    if (saved.code != Code.ABORTED) return saved;
  }
}

App.subscriptions((): Array<TopicSubscription> => [subscription("pubsub", "orders", "orders")]);

App.onTopicEvent((event: TopicEventRequest): TopicEventStatus => {
  // A failure to count is retried by the runtime (its resiliency policy, then the dead-letter topic).
  return countOrder() === null ? TopicEventStatus.SUCCESS : TopicEventStatus.RETRY;
});

App.onInvoke((request: Request): Response => {
  if (request.method != "count") {
    return Response.error(404, "no route /" + request.method + " (order-counter serves GET /count)");
  }
  if (request.verb != "GET") {
    return Response.error(405, request.verb + " /count: only GET").withHeader("allow", "GET");
  }
  const read = readCount();
  const error = read.error;
  if (error !== null) return Response.error(500, error.toString());
  return Response.text(read.value.count.toString());
});
