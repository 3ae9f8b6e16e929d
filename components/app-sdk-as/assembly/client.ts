// Dapr: the building blocks, called through the runtime's imports. Each method takes the request message of the
// Dapr gRPC method of the same name and returns its response; shorthands cover the common cases.

import { Protobuf, Reader, Writer } from "as-proto/assembly";
import { Answer, call, Import } from "./host";
import { DaprError, Result } from "./error";
import { Any } from "./proto/google/protobuf/Any";
import { Etag } from "./proto/dapr/proto/common/v1/Etag";
import { HTTPExtension } from "./proto/dapr/proto/common/v1/HTTPExtension";
import { Verb } from "./proto/dapr/proto/common/v1/HTTPExtension/Verb";
import { InvokeRequest } from "./proto/dapr/proto/common/v1/InvokeRequest";
import { InvokeResponse } from "./proto/dapr/proto/common/v1/InvokeResponse";
import { StateItem } from "./proto/dapr/proto/common/v1/StateItem";
import { StateOptions } from "./proto/dapr/proto/common/v1/StateOptions";
import { StateConcurrency } from "./proto/dapr/proto/common/v1/StateOptions/StateConcurrency";
import { BulkPublishRequest } from "./proto/dapr/proto/runtime/v1/BulkPublishRequest";
import { BulkPublishResponse } from "./proto/dapr/proto/runtime/v1/BulkPublishResponse";
import { DeleteBulkStateRequest } from "./proto/dapr/proto/runtime/v1/DeleteBulkStateRequest";
import { DeleteStateRequest } from "./proto/dapr/proto/runtime/v1/DeleteStateRequest";
import { ExecuteStateTransactionRequest } from "./proto/dapr/proto/runtime/v1/ExecuteStateTransactionRequest";
import { GetBulkSecretRequest } from "./proto/dapr/proto/runtime/v1/GetBulkSecretRequest";
import { GetBulkSecretResponse } from "./proto/dapr/proto/runtime/v1/GetBulkSecretResponse";
import { GetBulkStateRequest } from "./proto/dapr/proto/runtime/v1/GetBulkStateRequest";
import { GetBulkStateResponse } from "./proto/dapr/proto/runtime/v1/GetBulkStateResponse";
import { GetMetadataRequest } from "./proto/dapr/proto/runtime/v1/GetMetadataRequest";
import { GetMetadataResponse } from "./proto/dapr/proto/runtime/v1/GetMetadataResponse";
import { GetSecretRequest } from "./proto/dapr/proto/runtime/v1/GetSecretRequest";
import { GetSecretResponse } from "./proto/dapr/proto/runtime/v1/GetSecretResponse";
import { GetStateRequest } from "./proto/dapr/proto/runtime/v1/GetStateRequest";
import { GetStateResponse } from "./proto/dapr/proto/runtime/v1/GetStateResponse";
import { InvokeServiceRequest } from "./proto/dapr/proto/runtime/v1/InvokeServiceRequest";
import { PublishEventRequest } from "./proto/dapr/proto/runtime/v1/PublishEventRequest";
import { SaveStateRequest } from "./proto/dapr/proto/runtime/v1/SaveStateRequest";

/** A state item as read: its value and its etag ("" when the store keeps none). */
export class State {
  constructor(readonly value: Uint8Array, readonly etag: string) {}

  /** The value as UTF-8 text. */
  text(): string {
    return String.UTF8.decode(this.value.buffer);
  }
}

/** The UTF-8 bytes of a string, for a value or a body. */
export function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}

function send<Req, Resp>(
  method: Import,
  request: Req,
  encode: (message: Req, writer: Writer) => void,
  decode: (reader: Reader, length: i32) => Resp
): Result<Resp> {
  const answer: Answer = call(method, Protobuf.encode<Req>(request, encode));
  if (answer.failed) {
    return Result.err<Resp>(DaprError.fromStatusBytes(answer.bytes));
  }
  return Result.ok<Resp>(Protobuf.decode<Resp>(answer.bytes, decode));
}

function sendEmpty<Req>(method: Import, request: Req, encode: (message: Req, writer: Writer) => void): DaprError | null {
  const answer: Answer = call(method, Protobuf.encode<Req>(request, encode));
  if (answer.failed) {
    return DaprError.fromStatusBytes(answer.bytes);
  }
  return null;
}

/**
 * A client of the runtime's building blocks, as Dapr's gRPC API: a call that answers a value returns a Result, a
 * call that answers nothing returns its DaprError or null.
 */
export class Dapr {
  /** GetState. */
  static getState(request: GetStateRequest): Result<GetStateResponse> {
    return send<GetStateRequest, GetStateResponse>(Import.GetState, request, GetStateRequest.encode, GetStateResponse.decode);
  }

  /** GetBulkState. */
  static getBulkState(request: GetBulkStateRequest): Result<GetBulkStateResponse> {
    return send<GetBulkStateRequest, GetBulkStateResponse>(
      Import.GetBulkState, request, GetBulkStateRequest.encode, GetBulkStateResponse.decode);
  }

  /** SaveState. */
  static saveState(request: SaveStateRequest): DaprError | null {
    return sendEmpty<SaveStateRequest>(Import.SaveState, request, SaveStateRequest.encode);
  }

  /** DeleteState. */
  static deleteState(request: DeleteStateRequest): DaprError | null {
    return sendEmpty<DeleteStateRequest>(Import.DeleteState, request, DeleteStateRequest.encode);
  }

  /** DeleteBulkState. */
  static deleteBulkState(request: DeleteBulkStateRequest): DaprError | null {
    return sendEmpty<DeleteBulkStateRequest>(Import.DeleteBulkState, request, DeleteBulkStateRequest.encode);
  }

  /** ExecuteStateTransaction. */
  static executeStateTransaction(request: ExecuteStateTransactionRequest): DaprError | null {
    return sendEmpty<ExecuteStateTransactionRequest>(
      Import.ExecuteStateTransaction, request, ExecuteStateTransactionRequest.encode);
  }

  /** PublishEvent. */
  static publishEvent(request: PublishEventRequest): DaprError | null {
    return sendEmpty<PublishEventRequest>(Import.PublishEvent, request, PublishEventRequest.encode);
  }

  /** BulkPublishEventAlpha1. */
  static bulkPublishEvent(request: BulkPublishRequest): Result<BulkPublishResponse> {
    return send<BulkPublishRequest, BulkPublishResponse>(
      Import.BulkPublishEvent, request, BulkPublishRequest.encode, BulkPublishResponse.decode);
  }

  /** InvokeService. */
  static invokeService(request: InvokeServiceRequest): Result<InvokeResponse> {
    return send<InvokeServiceRequest, InvokeResponse>(
      Import.InvokeService, request, InvokeServiceRequest.encode, InvokeResponse.decode);
  }

  /** GetSecret. */
  static getSecret(request: GetSecretRequest): Result<GetSecretResponse> {
    return send<GetSecretRequest, GetSecretResponse>(
      Import.GetSecret, request, GetSecretRequest.encode, GetSecretResponse.decode);
  }

  /** GetBulkSecret. */
  static getBulkSecret(request: GetBulkSecretRequest): Result<GetBulkSecretResponse> {
    return send<GetBulkSecretRequest, GetBulkSecretResponse>(
      Import.GetBulkSecret, request, GetBulkSecretRequest.encode, GetBulkSecretResponse.decode);
  }

  /** GetMetadata. */
  static getMetadata(): Result<GetMetadataResponse> {
    return send<GetMetadataRequest, GetMetadataResponse>(
      Import.GetMetadata, new GetMetadataRequest(), GetMetadataRequest.encode, GetMetadataResponse.decode);
  }

  /** Reads a key: null when the store has no item for it (Dapr answers an empty value and no etag then). */
  static get(store: string, key: string): Result<State | null> {
    const request = new GetStateRequest();
    request.storeName = store;
    request.key = key;
    const response = Dapr.getState(request);
    const error = response.error;
    if (error !== null) {
      return Result.err<State | null>(error);
    }
    const found = response.value;
    if (found.data.length == 0 && found.etag.length == 0) {
      return Result.ok<State | null>(null);
    }
    return Result.ok<State | null>(new State(found.data, found.etag));
  }

  /** Saves a value, last write wins. */
  static save(store: string, key: string, value: Uint8Array): DaprError | null {
    const item = new StateItem();
    item.key = key;
    item.value = value;
    return Dapr.saveState(new SaveStateRequest(store, [item]));
  }

  /**
   * Saves a value only if the item still has `etag`, or, with etag "", only if there is no item (first write wins):
   * otherwise an ABORTED error (daprd's etag mismatch).
   */
  static saveIf(store: string, key: string, value: Uint8Array, etag: string): DaprError | null {
    const item = new StateItem();
    item.key = key;
    item.value = value;
    if (etag.length > 0) {
      item.etag = new Etag(etag);
    }
    const options = new StateOptions();
    options.concurrency = StateConcurrency.CONCURRENCY_FIRST_WRITE;
    item.options = options;
    return Dapr.saveState(new SaveStateRequest(store, [item]));
  }

  /** Deletes a key. */
  static delete(store: string, key: string): DaprError | null {
    const request = new DeleteStateRequest();
    request.storeName = store;
    request.key = key;
    return Dapr.deleteState(request);
  }

  /** Publishes `data` with its content type (a CloudEvent is made around it unless it is one). */
  static publish(pubsub: string, topic: string, data: Uint8Array, contentType: string): DaprError | null {
    const request = new PublishEventRequest();
    request.pubsubName = pubsub;
    request.topic = topic;
    request.data = data;
    request.dataContentType = contentType;
    return Dapr.publishEvent(request);
  }

  /** Invokes `method` of app `appId` with HTTP semantics (`verb`, e.g. Verb.POST). */
  static invoke(appId: string, method: string, verb: Verb, data: Uint8Array, contentType: string): Result<InvokeResponse> {
    const message = new InvokeRequest();
    message.method = method;
    message.data = new Any("", data);
    message.contentType = contentType;
    message.httpExtension = new HTTPExtension(verb, "");
    return Dapr.invokeService(new InvokeServiceRequest(appId, message));
  }

  /** A secret's values by name. */
  static secret(store: string, key: string): Result<Map<string, string>> {
    const request = new GetSecretRequest();
    request.storeName = store;
    request.key = key;
    const response = Dapr.getSecret(request);
    const error = response.error;
    if (error !== null) {
      return Result.err<Map<string, string>>(error);
    }
    return Result.ok<Map<string, string>>(response.value.data);
  }
}
