// Unit tests of the SDK, compiled like an app and run by tests/run.mjs against a fake host (module "test"): every
// export named test_* must return, every export named trap_* must trap. A failed assert logs and traps.

import { Protobuf } from "as-proto/assembly";
import { App, Code, Dapr, DaprError, Request, Response, TopicEventStatus, subscription, utf8, Verb } from "../assembly";
import { app_list_topic_subscriptions, app_on_invoke, app_on_topic_event } from "../assembly/exports";
export * from "../assembly/exports";
import { Any } from "../assembly/proto/google/protobuf/Any";
import { Status } from "../assembly/proto/google/rpc/Status";
import { HTTPExtension } from "../assembly/proto/dapr/proto/common/v1/HTTPExtension";
import { InvokeRequest } from "../assembly/proto/dapr/proto/common/v1/InvokeRequest";
import { StateConcurrency } from "../assembly/proto/dapr/proto/common/v1/StateOptions/StateConcurrency";
import { InternalInvokeRequest } from "../assembly/proto/dapr/proto/internals/v1/InternalInvokeRequest";
import { InternalInvokeResponse } from "../assembly/proto/dapr/proto/internals/v1/InternalInvokeResponse";
import { ListStringValue } from "../assembly/proto/dapr/proto/internals/v1/ListStringValue";
import { GetSecretResponse } from "../assembly/proto/dapr/proto/runtime/v1/GetSecretResponse";
import { GetStateRequest } from "../assembly/proto/dapr/proto/runtime/v1/GetStateRequest";
import { GetStateResponse } from "../assembly/proto/dapr/proto/runtime/v1/GetStateResponse";
import { InvokeServiceRequest } from "../assembly/proto/dapr/proto/runtime/v1/InvokeServiceRequest";
import { ListTopicSubscriptionsResponse } from "../assembly/proto/dapr/proto/runtime/v1/ListTopicSubscriptionsResponse";
import { PublishEventRequest } from "../assembly/proto/dapr/proto/runtime/v1/PublishEventRequest";
import { SaveStateRequest } from "../assembly/proto/dapr/proto/runtime/v1/SaveStateRequest";
import { TopicEventRequest } from "../assembly/proto/dapr/proto/runtime/v1/TopicEventRequest";
import { TopicEventResponse } from "../assembly/proto/dapr/proto/runtime/v1/TopicEventResponse";
import { TopicSubscription } from "../assembly/proto/dapr/proto/runtime/v1/TopicSubscription";

// The fake host: the answer of the next import, and what the last import was sent.
// @ts-ignore: decorator
@external("test", "script")
declare function script(ptr: usize, len: usize, failed: bool): void;
// @ts-ignore: decorator
@external("test", "last_import")
declare function last_import(): u64;
// @ts-ignore: decorator
@external("test", "last_request")
declare function last_request(): u64;

function answer(bytes: Uint8Array, failed: bool = false): void {
  script(bytes.dataStart, bytes.byteLength, failed);
}

/** A block the fake host (or an export) packed: copied out and freed. */
function unpack(packed: u64): Uint8Array {
  const ptr = <usize>(packed >>> 32);
  const len = <i32>(packed & 0x7fffffff);
  const bytes = new Uint8Array(len);
  if (ptr != 0) {
    memory.copy(bytes.dataStart, ptr, len);
    heap.free(ptr);
  }
  return bytes;
}

function lastImport(): string {
  return String.UTF8.decode(unpack(last_import()).buffer);
}

function text(bytes: Uint8Array): string {
  return String.UTF8.decode(bytes.buffer);
}

function equal(actual: string, expected: string, what: string): void {
  assert(actual == expected, what + ": expected '" + expected + "', got '" + actual + "'");
}

function errorStatus(code: i32, message: string, reason: string): Uint8Array {
  return Protobuf.encode<Status>(new DaprError(code, message, reason).toStatus(), Status.encode);
}

export function test_get_decodes_the_response_and_reads_absence(): void {
  const found = new GetStateResponse();
  found.data = utf8("v");
  found.etag = "3";
  answer(Protobuf.encode<GetStateResponse>(found, GetStateResponse.encode));
  const state = Dapr.get("store", "k").value;
  assert(state !== null, "a stored item reads as a State");
  equal(state!.text(), "v", "value");
  equal(state!.etag, "3", "etag");
  equal(lastImport(), "get_state", "import");
  const sent = Protobuf.decode<GetStateRequest>(unpack(last_request()), GetStateRequest.decode);
  equal(sent.storeName + "/" + sent.key, "store/k", "request");

  answer(new Uint8Array(0));
  assert(Dapr.get("store", "missing").value === null, "an empty answer is an absent key");
}

export function test_an_error_block_becomes_the_dapr_error(): void {
  answer(errorStatus(Code.ABORTED, "etag mismatch", "DAPR_STATE_ETAG_MISMATCH"), true);
  const error = Dapr.saveIf("store", "k", utf8("v"), "1");
  assert(error !== null, "the save failed");
  assert(error!.code == Code.ABORTED, "code " + error!.code.toString());
  assert(error!.is("DAPR_STATE_ETAG_MISMATCH"), "reason " + error!.reason);
  equal(error!.toString(), "DAPR_STATE_ETAG_MISMATCH (code 10): etag mismatch", "toString");
  const sent = Protobuf.decode<SaveStateRequest>(unpack(last_request()), SaveStateRequest.decode);
  equal(sent.states[0].etag!.value, "1", "etag sent");
  assert(sent.states[0].options!.concurrency == StateConcurrency.CONCURRENCY_FIRST_WRITE, "first-write");
}

export function test_save_if_without_etag_only_creates(): void {
  answer(new Uint8Array(0));
  assert(Dapr.saveIf("store", "k", utf8("v"), "") === null, "saved");
  const sent = Protobuf.decode<SaveStateRequest>(unpack(last_request()), SaveStateRequest.decode);
  assert(sent.states[0].etag === null, "no etag is sent");
  assert(sent.states[0].options!.concurrency == StateConcurrency.CONCURRENCY_FIRST_WRITE, "first-write");
}

export function test_a_status_with_error_info_round_trips(): void {
  const metadata = new Map<string, string>();
  metadata.set("key", "k");
  const error = new DaprError(Code.ABORTED, "possible etag mismatch", "DAPR_STATE_ETAG_MISMATCH", metadata);
  const decoded = DaprError.fromStatusBytes(Protobuf.encode<Status>(error.toStatus(), Status.encode));
  assert(decoded.code == Code.ABORTED, "code");
  equal(decoded.message, "possible etag mismatch", "message");
  equal(decoded.reason, "DAPR_STATE_ETAG_MISMATCH", "reason");
  equal(decoded.metadata.get("key"), "k", "metadata");
  const plain = DaprError.fromStatusBytes(Protobuf.encode<Status>(new Status(Code.NOT_FOUND, "gone", []), Status.encode));
  equal(plain.reason, "", "no ErrorInfo, no reason");
  equal(plain.toString(), "code 5: gone", "toString without reason");
}

export function test_shorthands_send_the_requests_of_their_methods(): void {
  answer(new Uint8Array(0));
  assert(Dapr.publish("pubsub", "orders", utf8("{}"), "application/json") === null, "published");
  equal(lastImport(), "publish_event", "publish import");
  const published = Protobuf.decode<PublishEventRequest>(unpack(last_request()), PublishEventRequest.decode);
  equal(published.pubsubName + "/" + published.topic + " " + published.dataContentType + " " + text(published.data),
    "pubsub/orders application/json {}", "publish request");

  answer(new Uint8Array(0));
  assert(Dapr.invoke("other", "orders/7", Verb.PUT, utf8("x"), "text/plain").ok, "invoked");
  equal(lastImport(), "invoke_service", "invoke import");
  const invoked = Protobuf.decode<InvokeServiceRequest>(unpack(last_request()), InvokeServiceRequest.decode);
  equal(invoked.id + " " + invoked.message!.method + " " + text(invoked.message!.data!.value), "other orders/7 x", "invoke");
  assert(invoked.message!.httpExtension!.verb == Verb.PUT, "verb");

  const secret = new GetSecretResponse();
  secret.data.set("password", "p");
  answer(Protobuf.encode<GetSecretResponse>(secret, GetSecretResponse.encode));
  equal(Dapr.secret("vault", "db").value.get("password"), "p", "secret");
  equal(lastImport(), "get_secret", "secret import");

  answer(new Uint8Array(0));
  assert(Dapr.delete("store", "k") === null, "deleted");
  equal(lastImport(), "delete_state", "delete import");
}

function invoke(request: InternalInvokeRequest): InternalInvokeResponse {
  const bytes = Protobuf.encode<InternalInvokeRequest>(request, InternalInvokeRequest.encode);
  const packed = app_on_invoke(bytes.dataStart, bytes.byteLength);
  assert((packed & 0x80000000) == 0, "app_on_invoke answered an error block");
  return Protobuf.decode<InternalInvokeResponse>(unpack(packed), InternalInvokeResponse.decode);
}

export function test_an_invocation_reads_as_http_and_answers_status_headers_and_body(): void {
  App.onInvoke((request: Request): Response => {
    return Response.ok()
      .withHeader("x-seen", request.verb + " " + request.method + " b=" + request.queryParam("b")! +
        " trace=" + request.header("X-Trace")! + " n=" + request.headers.length.toString())
      .withHeader("x-a", "1")
      .withHeader("x-a", "2")
      .withBody(request.contentType, request.body);
  });
  const internal = new InternalInvokeRequest();
  const values = new ListStringValue();
  values.values = ["a", "b"];
  internal.metadata.set("X-Trace", values);
  internal.message = new InvokeRequest("/orders/7", new Any("", utf8("{}")), "application/json",
    new HTTPExtension(Verb.PUT, "a=1&b=2"));
  const response = invoke(internal);
  assert(response.status!.code == 200, "status");
  equal(response.headers.get("x-seen").values[0], "PUT orders/7 b=2 trace=a n=2", "request as seen");
  equal(response.headers.get("x-a").values.join(","), "1,2", "repeated header");
  equal(response.message!.contentType, "application/json", "content type");
  equal(text(response.message!.data!.value), "{}", "body");
}

export function test_a_request_without_extension_is_a_post(): void {
  App.onInvoke((request: Request): Response => Response.text(request.verb + " [" + request.method + "]"));
  const response = invoke(new InternalInvokeRequest());
  equal(text(response.message!.data!.value), "POST []", "verb and method");
  equal(response.message!.contentType, "text/plain; charset=utf-8", "text content type");
}

export function test_an_error_answer_is_json_with_escapes(): void {
  App.onInvoke((request: Request): Response => Response.error(404, "no \"order\"\n\\"));
  const response = invoke(new InternalInvokeRequest());
  assert(response.status!.code == 404, "status");
  equal(text(response.message!.data!.value), '{"error":"no \\"order\\"\\u000a\\\\"}', "body");
}

export function test_events_answer_their_status_and_subscriptions_list(): void {
  App.subscriptions((): Array<TopicSubscription> => [subscription("pubsub", "orders", "orders")]);
  App.onTopicEvent((event: TopicEventRequest): TopicEventStatus =>
    event.id == "retry" ? TopicEventStatus.RETRY : TopicEventStatus.SUCCESS);
  const event = new TopicEventRequest();
  event.id = "retry";
  let bytes = Protobuf.encode<TopicEventRequest>(event, TopicEventRequest.encode);
  let status = Protobuf.decode<TopicEventResponse>(unpack(app_on_topic_event(bytes.dataStart, bytes.byteLength)),
    TopicEventResponse.decode).status;
  assert(status == TopicEventStatus.RETRY, "retry");
  event.id = "1";
  bytes = Protobuf.encode<TopicEventRequest>(event, TopicEventRequest.encode);
  status = Protobuf.decode<TopicEventResponse>(unpack(app_on_topic_event(bytes.dataStart, bytes.byteLength)),
    TopicEventResponse.decode).status;
  assert(status == TopicEventStatus.SUCCESS, "success");
  const list = Protobuf.decode<ListTopicSubscriptionsResponse>(unpack(app_list_topic_subscriptions(0, 0)),
    ListTopicSubscriptionsResponse.decode);
  equal(list.subscriptions[0].pubsubName + "/" + list.subscriptions[0].topic + " -> " +
    list.subscriptions[0].routes!.default, "pubsub/orders -> orders", "subscription");
}

export function trap_reading_the_value_of_a_failed_call(): void {
  answer(errorStatus(Code.INVALID_ARGUMENT, "state store nope is not found", "DAPR_STATE_NOT_FOUND"), true);
  Dapr.get("nope", "k").value;
}

export function trap_a_malformed_request(): void {
  // A length-delimited field (InternalInvokeRequest.message) that claims more bytes than there are.
  const garbage = new Uint8Array(2);
  garbage[0] = 0x1a;
  garbage[1] = 0x7f;
  app_on_invoke(garbage.dataStart, garbage.byteLength);
}
