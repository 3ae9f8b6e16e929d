// The module's exports of the app ABI (docs/abi.md, "App exports"). An app's entry file re-exports them:
//
//   export * from "<sdk>/assembly/exports";
//
// and registers its handlers with App (app.ts) in its top-level code.

import { Protobuf } from "as-proto/assembly";
import { APP_API_VERSION, registeredInvokeHandler, registeredSubscriptions, handleTopicEvent } from "./app";
import { DaprError } from "./error";
import { ERROR_FLAG } from "./host";
import { Request } from "./http";
import { InternalInvokeRequest } from "./proto/dapr/proto/internals/v1/InternalInvokeRequest";
import { InternalInvokeResponse } from "./proto/dapr/proto/internals/v1/InternalInvokeResponse";
import { ListTopicSubscriptionsResponse } from "./proto/dapr/proto/runtime/v1/ListTopicSubscriptionsResponse";
import { TopicEventRequest } from "./proto/dapr/proto/runtime/v1/TopicEventRequest";
import { TopicEventResponse } from "./proto/dapr/proto/runtime/v1/TopicEventResponse";
import { Status } from "./proto/google/rpc/Status";
// The build maps AssemblyScript's abort to abort.ts (`--use abort=...`), which must be part of the program.
import "./abort";

/** Memory for the host: a request it writes, an import's answer it hands over. Not managed by the GC. */
export function malloc(size: usize): usize {
  return heap.alloc(size);
}

/** Frees a block from malloc (a request the host wrote, an answer this module returned). */
export function free(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

export function app_api_version(): u64 {
  return APP_API_VERSION;
}

export function app_on_invoke(ptr: usize, len: usize): u64 {
  const handler = registeredInvokeHandler();
  if (handler === null) {
    return failure(DaprError.internal("the app registered no handler with App.onInvoke"));
  }
  // A request that does not decode aborts (the decoder's bounds checks): the host answers 500 and discards the
  // instance, as for any trap.
  const internal = Protobuf.decode<InternalInvokeRequest>(request(ptr, len), InternalInvokeRequest.decode);
  const response = handler(Request.fromInternal(internal));
  return block(Protobuf.encode<InternalInvokeResponse>(response.toInternal(), InternalInvokeResponse.encode), 0);
}

export function app_list_topic_subscriptions(ptr: usize, len: usize): u64 {
  const response = new ListTopicSubscriptionsResponse(registeredSubscriptions());
  return block(Protobuf.encode<ListTopicSubscriptionsResponse>(response, ListTopicSubscriptionsResponse.encode), 0);
}

export function app_on_topic_event(ptr: usize, len: usize): u64 {
  const event = Protobuf.decode<TopicEventRequest>(request(ptr, len), TopicEventRequest.decode);
  const response = new TopicEventResponse(handleTopicEvent(event));
  return block(Protobuf.encode<TopicEventResponse>(response, TopicEventResponse.encode), 0);
}

/** A copy of the request the host wrote at ptr (it frees its block itself). */
function request(ptr: usize, len: usize): Uint8Array {
  const bytes = new Uint8Array(<i32>len);
  memory.copy(bytes.dataStart, ptr, len);
  return bytes;
}

/** A handler's error, as the block of a google.rpc.Status flagged by bit 31. */
function failure(error: DaprError): u64 {
  return block(Protobuf.encode<Status>(error.toStatus(), Status.encode), ERROR_FLAG);
}

/** Copies an answer into a block from malloc, which the host frees, packed as (ptr << 32) | len | flag. */
function block(bytes: Uint8Array, flag: u64): u64 {
  if (bytes.length == 0 && flag == 0) return 0;
  const len = <usize>bytes.length;
  const ptr = heap.alloc(len > 0 ? len : 1);
  memory.copy(ptr, bytes.dataStart, len);
  return (<u64>ptr << 32) | <u64>len | flag;
}
